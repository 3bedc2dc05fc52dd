import type { Operation } from './types.js';

/** Activity texts that open, close or fail each operation (cam-api.md §3.6 wording). */
export const STARTED: Record<Operation, string> = {
  deploy: 'Deploying instance.',
  redeploy: 'Redeploying instance.',
  reconfigure: 'Reconfiguring instance.',
  reinstall: 'Reinstalling instance.',
  poweron: 'Powering on instance.',
  shutdown: 'Shutting down instance.',
  terminate: 'Terminating instance.',
  force_terminate: 'Force terminating instance.',
  delete: 'Deleting instance.',
};

export const SUCCEEDED: Record<Operation, string> = {
  deploy: 'Instance successfully deployed.',
  redeploy: 'Instance successfully deployed.',
  reconfigure: 'Instance successfully reconfigured.',
  reinstall: 'Instance successfully reinstalled.',
  poweron: 'Instance successfully powered on.',
  shutdown: 'Instance successfully shut down.',
  terminate: 'Instance successfully terminated.',
  force_terminate: 'Instance successfully terminated.',
  delete: 'Instance deleted.',
};

const NOUN: Record<Operation, string> = {
  deploy: 'deployment',
  redeploy: 'redeployment',
  reconfigure: 'reconfiguration',
  reinstall: 'reinstallation',
  poweron: 'power on',
  shutdown: 'shutdown',
  terminate: 'termination',
  force_terminate: 'forced termination',
  delete: 'deletion',
};

export const failedText = (op: Operation, error: string): string => `Instance ${NOUN[op]} failed. ${error}`.trim();
