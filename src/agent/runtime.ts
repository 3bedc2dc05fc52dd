import { join } from 'node:path';
import { rmSync } from 'node:fs';
import {
  DEFAULT_OUTPUT_CAP_BYTES,
  DEFAULT_TIMEOUT_SECONDS,
  MAX_VARIABLE_VALUE_CHARS,
  type AgentMessage,
  type ExecuteMessage,
  type ExecutionRecord,
  type ProtocolError,
  type ResultMessage,
  type ServerMessage,
} from '../shared/protocol.js';
import { Redactor } from '../shared/redact.js';
import type { AgentConnection } from './connection.js';
import { EXECUTION_ENV, failedOutcome, scriptEnv, ScriptRun, type ScriptOutcome } from './executor.js';
import type { HelperRequest, HelperResponse } from './helper-server.js';
import type { AgentLogger } from './logger.js';
import { processesWithEnv } from '../shared/process-tree.js';
import { describeTemplateError } from '../shared/template-check.js';
import { applyVariable, childContext, renderJinja, renderTemplate } from './render.js';
import type { Spool } from './spool.js';
import type { CommandWrap } from '../shared/sandbox-mounts.js';

export interface RuntimeOptions {
  spool: Spool;
  workdir: string;
  binDir: string;
  scriptsDir: string;
  socketPath: string;
  machine: string;
  agentVersion: string;
  killGraceMs: number;
  log: AgentLogger;
  /** The base of every script environment (default: the agent's own). */
  env?: NodeJS.ProcessEnv;
  /** Starts scripts inside the machine's sandbox (host agent). */
  wrap?: CommandWrap;
  machineLost?: () => Promise<boolean>;
}

interface Running {
  message: ExecuteMessage;
  /** The template context, updated by `elasticbox set`. */
  context: Record<string, unknown>;
  redactor: Redactor;
  run?: ScriptRun;
  /** Output could not be spooled (disk full): the result says `truncated`. */
  lostOutput: boolean;
}

interface Override {
  scope: string;
  name: string;
  value: string;
}

/** Stop sending while this many bytes wait in the socket; the spool holds the rest. */
const HIGH_WATER_BYTES = 1024 * 1024;
/** Operations whose `elasticbox set` values are remembered for their later scripts. */
const MAX_OPERATIONS = 256;
const SEGMENT = /^[A-Za-z_][A-Za-z0-9_-]{0,127}$/;

/** Executions, their spool and the delivery of records and results over the connection. */
export class AgentRuntime {
  private readonly running = new Map<string, Running>();
  private readonly operations = new Map<string, Override[]>();
  /** Highest seq sent per execution on the current connection. */
  private readonly sent = new Map<string, number>();
  private readonly resultSent = new Set<string>();
  private connection: AgentConnection | undefined;
  private pumpTimer: NodeJS.Timeout | undefined;
  private stopping = false;

  constructor(private readonly opts: RuntimeOptions) {}

  attach(connection: AgentConnection): void {
    this.connection = connection;
  }

  runningIds(): string[] {
    return [...this.running.keys()];
  }

  /** Gives executions a previous agent run left unfinished a terminal `killed` result. */
  recoverUnfinished(): void {
    for (const id of this.opts.spool.unfinished()) {
      for (const pid of processesWithEnv(EXECUTION_ENV, id)) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // gone already
        }
      }
      const meta = this.opts.spool.get(id)!.meta;
      this.opts.log('warn', 'execution interrupted by an agent restart', { executionId: id });
      this.finish(id, {
        status: 'killed',
        exitCode: null,
        signal: null,
        truncated: false,
        startedAt: meta.startedAt,
        finishedAt: Date.now(),
        message: 'the agent stopped while the script was running',
      });
    }
  }

  onOpen(): void {
    this.sent.clear();
    this.resultSent.clear();
    this.send({
      type: 'hello',
      protocol: 1,
      machine: this.opts.machine,
      agentVersion: this.opts.agentVersion,
      pending: this.opts.spool.pendingIds(),
      running: this.runningIds(),
    });
    this.pump();
  }

  onMessage(message: ServerMessage): void {
    switch (message.type) {
      case 'execute':
        return this.execute(message);
      case 'ack':
        return this.opts.spool.ack(message.executionId, message.seq);
      case 'result_ack':
        this.sent.delete(message.executionId);
        this.resultSent.delete(message.executionId);
        return this.opts.spool.resultAck(message.executionId);
      case 'cancel':
        return this.running.get(message.executionId)?.run?.cancel();
      case 'ping':
        return; // answered by the connection
      case 'cleanup':
        return this.cleanup(message.instanceId);
    }
  }

  /** Removes an instance's folder (the id is checked by the protocol: `i-` and six characters). */
  private cleanup(instanceId: string): void {
    try {
      rmSync(join(this.opts.workdir, instanceId), { recursive: true, force: true });
      this.opts.log('info', 'instance folder removed', { instanceId });
    } catch (err) {
      this.opts.log('warn', 'could not remove the instance folder', { instanceId, error: (err as Error).message });
    }
  }

  onInvalid(error: ProtocolError): void {
    const id = error.executionId;
    if (error.messageType === 'execute' && id && !this.opts.spool.hasStarted(id)) {
      this.send({ type: 'rejected', executionId: id, reason: 'invalid', message: error.message });
    }
  }

  private send(message: AgentMessage): void {
    this.connection?.send(message);
  }

  private execute(message: ExecuteMessage): void {
    const id = message.executionId;
    const { spool } = this.opts;
    if (this.stopping) return this.send({ type: 'rejected', executionId: id, reason: 'stopping' });
    if (spool.hasStarted(id)) {
      this.send({ type: 'rejected', executionId: id, reason: 'duplicate' });
      // Re-send what is still held (the server dedupes by executionId + seq).
      this.sent.delete(id);
      this.resultSent.delete(id);
      return this.pump(id);
    }
    try {
      spool.begin({
        executionId: id,
        instanceId: message.instanceId,
        operationId: message.operationId,
        startedAt: Date.now(),
      });
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code ?? 'error';
      this.opts.log('error', 'cannot record the execution; refusing it', { executionId: id, code });
      return this.send({
        type: 'rejected',
        executionId: id,
        reason: 'spool_full',
        message: `spool write failed: ${code}`,
      });
    }
    this.start(message);
  }

  private start(message: ExecuteMessage): void {
    const id = message.executionId;
    const folder = join(this.opts.workdir, message.instanceId);
    const context: Record<string, unknown> = { ...structuredClone(message.context), folder };
    const variables = { ...message.env };
    for (const o of this.operations.get(message.operationId) ?? []) {
      applyVariable(context, message.scope, o.scope, o.name, o.value);
      if (o.scope === message.scope) variables[o.name] = o.value;
    }
    const redactor = new Redactor(message.secrets);
    const entry: Running = { message, context, redactor, lostOutput: false };
    this.running.set(id, entry);
    this.opts.log('info', 'executing', { executionId: id, event: message.event, box: message.boxName });
    let script: string;
    const startedAt = Date.now();
    try {
      script = renderJinja(message.template, context);
    } catch (err) {
      const where = `${message.boxName}/events/${message.event}`;
      const text = redactor.redact(describeTemplateError(err, message.template, where)).slice(0, 3000);
      return this.done(id, failedOutcome(startedAt, `template error in ${text}`));
    }
    const env = scriptEnv(
      this.opts.env ?? process.env,
      variables,
      {
        ELASTICBOX_SCOPE: message.scope,
        ELASTICBOX_INSTANCE_ID: message.instanceId,
        ELASTICBOX_PATH: folder,
        ELASTICBOX_INSTANCE_PATH: this.opts.workdir,
        ELASTICBOX_EVENT: message.event,
        ELASTICBOX_MACHINE: this.opts.machine,
        ELASTICBOX_AGENT_SOCKET: this.opts.socketPath,
        [EXECUTION_ENV]: id,
      },
      this.opts.binDir,
    );
    entry.run = new ScriptRun(
      {
        executionId: id,
        script,
        cwd: folder,
        env,
        scriptsDir: this.opts.scriptsDir,
        timeoutMs: (message.timeoutSeconds ?? DEFAULT_TIMEOUT_SECONDS) * 1000,
        outputCapBytes: message.outputCapBytes ?? DEFAULT_OUTPUT_CAP_BYTES,
        killGraceMs: this.opts.killGraceMs,
        redactor,
        wrap: this.opts.wrap,
        machineLost: this.opts.machineLost,
      },
      ({ stream, line, partial }) => {
        const stored = this.record(id, (seq) => ({
          type: 'output',
          executionId: id,
          seq,
          stream,
          line,
          ...(partial ? { partial } : {}),
        }));
        if (!stored) entry.lostOutput = true;
      },
    );
    entry.run.done.then(
      (outcome) => this.done(id, outcome),
      (err: unknown) => this.done(id, failedOutcome(startedAt, `agent error: ${(err as Error).message}`)),
    );
  }

  private done(id: string, outcome: ScriptOutcome): void {
    const entry = this.running.get(id);
    this.running.delete(id);
    this.finish(id, { ...outcome, truncated: outcome.truncated || (entry?.lostOutput ?? false) });
    this.opts.log('info', 'execution finished', {
      executionId: id,
      status: outcome.status,
      exitCode: outcome.exitCode,
    });
  }

  private finish(id: string, outcome: ScriptOutcome): void {
    const stored = this.opts.spool.get(id)!;
    const result: ResultMessage = {
      type: 'result',
      executionId: id,
      ...outcome,
      outputLines: stored.outputLines,
      lastSeq: stored.lastSeq,
    };
    try {
      this.opts.spool.finish(id, result);
    } catch (err) {
      this.opts.log('error', 'result not stored durably', {
        executionId: id,
        code: (err as NodeJS.ErrnoException).code,
      });
    }
    this.pump(id);
  }

  /** Appends a record to the execution's stream and sends it; false when the spool refused it. */
  private record(id: string, build: (seq: number) => ExecutionRecord): boolean {
    try {
      this.opts.spool.append(id, build);
    } catch (err) {
      this.opts.log('error', 'record not spooled', { executionId: id, code: (err as NodeJS.ErrnoException).code });
      return false;
    }
    this.pump(id);
    return true;
  }

  /** Sends unsent records (then the result) of one or all pending executions, within the high-water mark. */
  private pump(only?: string): void {
    const connection = this.connection;
    if (!connection?.isOpen) return;
    for (const id of only ? [only] : this.opts.spool.pendingIds()) {
      const entry = this.opts.spool.get(id);
      if (!entry) continue;
      const from = Math.max(this.sent.get(id) ?? 0, entry.acked);
      const first = entry.records[0]?.seq ?? entry.lastSeq + 1;
      for (let i = Math.max(0, from + 1 - first); i < entry.records.length; i++) {
        if (connection.bufferedAmount > HIGH_WATER_BYTES) return this.pumpLater();
        const record = entry.records[i]!;
        if (!connection.sendText(record.text)) return;
        this.sent.set(id, record.seq);
      }
      if (entry.result && !this.resultSent.has(id)) {
        if (connection.sendText(entry.result)) this.resultSent.add(id);
      }
    }
  }

  private pumpLater(): void {
    this.pumpTimer ??= setTimeout(() => {
      this.pumpTimer = undefined;
      this.pump();
    }, 50);
  }

  handleHelper(request: HelperRequest): HelperResponse {
    const entry = this.running.get(request.executionId);
    if (!entry?.run) return { ok: false, error: 'this execution is not running on this agent' };
    const { message } = entry;
    const id = message.executionId;
    if (request.command === 'notify') {
      const ok = this.record(id, (seq) => ({ type: 'notify', executionId: id, seq }));
      return ok ? { ok: true } : { ok: false, error: 'the agent could not record the request' };
    }
    if (request.command === 'config') {
      const context = request.box ? childContext(entry.context, request.box) : entry.context;
      if (!context) return { ok: false, error: 'no such box' };
      try {
        return { ok: true, output: renderTemplate(request.template, context, request.engine) };
      } catch (err) {
        return { ok: false, error: entry.redactor.redact((err as Error).message) };
      }
    }
    const parts = request.name.split('.');
    if (!parts.every((p) => SEGMENT.test(p))) return { ok: false, error: 'invalid variable name' };
    if (request.value.length > MAX_VARIABLE_VALUE_CHARS) return { ok: false, error: 'value too long' };
    const name = parts.pop()!;
    const scope = [message.scope, ...parts].filter(Boolean).join('.');
    const ok = this.record(id, (seq) => ({
      type: 'set_variable',
      executionId: id,
      seq,
      name,
      value: request.value,
      scope,
    }));
    if (!ok) return { ok: false, error: 'the agent could not record the variable' };
    applyVariable(entry.context, message.scope, scope, name, request.value);
    this.remember(message.operationId, { scope, name, value: request.value });
    return { ok: true };
  }

  private remember(operationId: string, override: Override): void {
    const list = this.operations.get(operationId) ?? [];
    this.operations.delete(operationId);
    this.operations.set(operationId, [...list, override]);
    if (this.operations.size > MAX_OPERATIONS) this.operations.delete(this.operations.keys().next().value!);
  }

  /** Refuses new work and kills running scripts; resolves when their results are spooled. */
  async stop(): Promise<void> {
    this.stopping = true;
    clearTimeout(this.pumpTimer);
    const runs = [...this.running.values()].map((r) => r.run);
    for (const run of runs) run?.cancel();
    await Promise.all(runs.map((run) => run?.done));
    await new Promise((resolve) => setImmediate(resolve));
  }
}
