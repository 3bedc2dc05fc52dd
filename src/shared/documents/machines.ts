/** Registered machines and their enrollment tokens (issue 11). */
import { Type, type Static } from '@sinclair/typebox';
import { Closed, NullableString, Timestamp } from './common.js';

/** A host running the installed agent, enrolled with a one-time token (`ebcli machines register`). */
export const RegisteredMachineSchema = Closed({
  id: Type.String(),
  owner: Type.String(),
  hostname: Type.String(),
  claims: Type.Array(Type.String()),
  /** From the agent channel: `online` while its agent is connected. */
  state: Type.Union([Type.Literal('online'), Type.Literal('offline')]),
  /** Last connect, disconnect or heartbeat (CAM timestamp, UTC); null before the first. */
  last_seen: NullableString,
  agent_version: NullableString,
  address: NullableString,
  /** The instance holding the machine, if any. */
  instance: NullableString,
  created: Timestamp,
  updated: Timestamp,
});
export type RegisteredMachineShape = Static<typeof RegisteredMachineSchema>;

/** A minted enrollment token and the commands that install an agent with it. */
export const EnrollmentSchema = Closed({
  id: Type.String(),
  owner: Type.String(),
  claims: Type.Array(Type.String()),
  expires: Timestamp,
  /** One-time secret; shown once. */
  token: Type.String(),
  bootstrap_url: Type.String(),
  /** The one-liner, as root: `curl … | sudo env EBCLI_ENROLL_TOKEN=… sh`. */
  command: Type.String(),
  /** The one-liner installing for the current user. */
  user_command: Type.String(),
});
export type EnrollmentShape = Static<typeof EnrollmentSchema>;
