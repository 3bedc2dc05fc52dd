import { newIdempotencyKey } from '../http.js';
import type {
  Activity,
  DeployRequest,
  Instance,
  InstanceOperation,
  OperationRecord,
  PullAnswer,
  ServiceDoc,
  Variable,
} from '../types.js';
import { Resource, servicePath } from './base.js';

const DEPLOY_SCHEMA = 'http://elasticbox.net/schemas/deploy-instance-request';
const DEPLOY_APPLICATION_SCHEMA = 'http://elasticbox.net/schemas/deploy/application';

export interface LogQuery {
  machine_name?: string;
  box?: string;
  event?: string;
  operation?: string;
}

export class Instances extends Resource {
  list(): Promise<Instance[]> {
    return this.get(servicePath('instances'));
  }

  retrieve(id: string): Promise<Instance> {
    return this.get(servicePath('instances', id));
  }

  /** Starts a deploy (202, `state: "processing"`). Retried safely: the request carries an idempotency key. */
  deploy(req: DeployRequest, opts: { idempotencyKey?: string } = {}): Promise<Instance> {
    const body = { schema: DEPLOY_SCHEMA, automatic_updates: 'off', ...req };
    return this.send('POST', servicePath('instances'), {
      body,
      idempotencyKey: opts.idempotencyKey ?? newIdempotencyKey(),
    });
  }

  /**
   * Deploys an application box (schema `…/deploy/application`): one instance per service, named
   * `<name>-<service>`; answers them all (202). Retried safely, like `deploy`.
   */
  deployApplication(req: DeployRequest, opts: { idempotencyKey?: string } = {}): Promise<Instance[]> {
    return this.send('POST', servicePath('instances'), {
      body: { schema: DEPLOY_APPLICATION_SCHEMA, ...req },
      idempotencyKey: opts.idempotencyKey ?? newIdempotencyKey(),
    });
  }

  /** Validates a deploy request without side effects. */
  dryrun(req: DeployRequest): Promise<Record<string, unknown>> {
    return this.send('POST', servicePath('instances', 'dryrun'), {
      body: { schema: DEPLOY_SCHEMA, automatic_updates: 'off', ...req },
    });
  }

  /** PUT the full document back; only variables, tags, boxes, members, lease, policy_box and automatic_updates apply. */
  /** PUT: the server applies the editable fields (variables, tags, members, lease, automatic_updates). */
  update(id: string, doc: Partial<Omit<Instance, 'variables'>> & { variables?: Variable[] }): Promise<Instance> {
    return this.send('PUT', servicePath('instances', id), { body: doc });
  }

  /**
   * Runs a lifecycle operation. `terminate`, `force_terminate` and `delete` are `DELETE ?operation=`;
   * the others are `PUT /{op}`. Answers 202; 409 when the instance is busy.
   */
  operate(id: string, op: InstanceOperation): Promise<Record<string, unknown> | undefined> {
    const idempotencyKey = newIdempotencyKey();
    if (op === 'terminate' || op === 'force_terminate' || op === 'delete') {
      return this.send('DELETE', servicePath('instances', id), { query: { operation: op }, idempotencyKey });
    }
    return this.send('PUT', servicePath('instances', id, op), { idempotencyKey });
  }

  reconfigure(id: string) {
    return this.operate(id, 'reconfigure');
  }

  reinstall(id: string) {
    return this.operate(id, 'reinstall');
  }

  poweron(id: string) {
    return this.operate(id, 'poweron');
  }

  shutdown(id: string) {
    return this.operate(id, 'shutdown');
  }

  terminate(id: string, opts: { force?: boolean } = {}) {
    return this.operate(id, opts.force ? 'force_terminate' : 'terminate');
  }

  delete(id: string) {
    return this.operate(id, 'delete');
  }

  /**
   * Moves the instance to a version of its box (the latest when `boxId` is absent) and, when
   * `variables` are given, to those overrides in the same step; the server starts what the change
   * requires (reinstall, reconfigure or nothing) and answers which, with the reasons.
   */
  pull(id: string, opts: { boxId?: string; variables?: Variable[] } = {}): Promise<PullAnswer> {
    const body: Record<string, unknown> = {};
    if (opts.boxId) body.box_id = opts.boxId;
    if (opts.variables) body.variables = opts.variables;
    return this.send('PUT', servicePath('instances', id, 'pull'), { body, idempotencyKey: newIdempotencyKey() });
  }

  service(id: string): Promise<ServiceDoc> {
    return this.get(servicePath('instances', id, 'service'));
  }

  activity(id: string, opts: { operation?: string } = {}): Promise<Activity[]> {
    return this.get(servicePath('instances', id, 'activity'), { query: { operation: opts.operation } });
  }

  operations(id: string): Promise<OperationRecord[]> {
    return this.get(servicePath('instances', id, 'operations'));
  }

  /** Script output as text. */
  async machineLogs(id: string, query: LogQuery = {}): Promise<string> {
    const text = await this.get<unknown>(servicePath('instances', id, 'machine_logs'), { query: { ...query } });
    return typeof text === 'string' ? text : text === undefined ? '' : JSON.stringify(text);
  }

  bindings(id: string): Promise<{ name: string; scope?: string; instances: string[] }[]> {
    return this.get(servicePath('instances', id, 'bindings'));
  }
}
