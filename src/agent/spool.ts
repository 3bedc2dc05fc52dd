/**
 * The agent's on-disk outbox (quality.md NL-5). Layout under the spool directory:
 *
 * ```
 * lock                      pid of the agent using this spool (one agent per spool)
 * started                   every execution id ever started, one per line (fsync'd before the spawn)
 * exec/<id>/meta.json       {executionId, instanceId, operationId, startedAt}
 * exec/<id>/records.jsonl   the execution's wire records (output, set_variable, notify), one per line
 * exec/<id>/acked.json      {acked, lastSeq, outputLines} written (fsync'd) before records.jsonl is trimmed
 * exec/<id>/result.json     the terminal result, written atomically and fsync'd
 * ```
 *
 * Records are appended without fsync (a power loss may lose the last lines, never reorder them);
 * the records file is fsync'd before the result is written, so a durable result implies durable
 * output. `exec/<id>` is deleted on `result_ack`; the id stays in `started` so it never runs twice
 * (about 40 bytes per execution, never compacted).
 */
import {
  closeSync,
  existsSync,
  fsyncSync,
  ftruncateSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';
import { processAlive } from '../shared/process.js';
import type { ExecutionRecord, ResultMessage } from '../shared/protocol.js';

export interface ExecutionMeta {
  executionId: string;
  instanceId: string;
  operationId: string;
  startedAt: number;
}

/** A stored record: its seq and the exact JSON text to send. */
export interface StoredRecord {
  seq: number;
  text: string;
}

export interface SpoolEntry {
  meta: ExecutionMeta;
  /** Records not yet acknowledged, in seq order. */
  records: StoredRecord[];
  acked: number;
  lastSeq: number;
  outputLines: number;
  /** The result's JSON text once the execution has ended. */
  result?: string;
}

interface OpenEntry extends SpoolEntry {
  fd?: number;
  fileBytes: number;
}

/** Spool directories opened by this process (a lock holding our own pid is stale unless listed). */
const openHere = new Set<string>();

/** Takes `<dir>/lock`, replacing a lock whose agent is gone. Throws if another agent holds it. */
function lock(dir: string): void {
  const file = join(dir, 'lock');
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(file, 'wx', 0o600);
      writeSync(fd, String(process.pid));
      closeSync(fd);
      openHere.add(dir);
      return;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    const holder = Number(readFileSync(file, 'utf8').trim());
    const held = holder === process.pid ? openHere.has(dir) : processAlive(holder);
    if (held) throw new Error(`another agent (pid ${holder}) is using the spool ${dir}`);
    rmSync(file, { force: true });
  }
  throw new Error(`cannot lock the spool ${dir}`);
}

/** Trim records.jsonl once everything in it is acknowledged and it has grown past this. */
const TRIM_BYTES = 64 * 1024;

function writeDurably(file: string, text: string): void {
  const tmp = `${file}.tmp`;
  const fd = openSync(tmp, 'w', 0o600);
  try {
    writeSync(fd, text);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, file);
}

function fsyncDir(dir: string): void {
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

function readJson<T>(file: string): T | undefined {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as T;
  } catch {
    return undefined;
  }
}

export class Spool {
  private readonly started = new Set<string>();
  private readonly entries = new Map<string, OpenEntry>();
  private readonly execDir: string;
  private readonly startedFd: number;

  /** Opens (creating if needed) the spool in `dir` and loads what a previous run left. */
  constructor(readonly dir: string) {
    this.execDir = join(dir, 'exec');
    mkdirSync(this.execDir, { recursive: true, mode: 0o700 });
    lock(dir);
    const startedFile = join(dir, 'started');
    if (existsSync(startedFile)) {
      for (const id of readFileSync(startedFile, 'utf8').split('\n')) if (id) this.started.add(id);
    }
    this.startedFd = openSync(startedFile, 'a', 0o600);
    for (const id of readdirSync(this.execDir)) this.load(id);
  }

  private load(id: string): void {
    const dir = join(this.execDir, id);
    this.started.add(id);
    const meta = readJson<ExecutionMeta>(join(dir, 'meta.json')) ?? {
      executionId: id,
      instanceId: '',
      operationId: '',
      startedAt: 0,
    };
    const trimmed = readJson<{ acked: number; lastSeq: number; outputLines: number }>(join(dir, 'acked.json'));
    const entry: OpenEntry = {
      meta,
      records: [],
      acked: trimmed?.acked ?? 0,
      lastSeq: trimmed?.lastSeq ?? 0,
      outputLines: trimmed?.outputLines ?? 0,
      fileBytes: 0,
    };
    let text = '';
    try {
      text = readFileSync(join(dir, 'records.jsonl'), 'utf8');
    } catch {
      // no records yet
    }
    for (const line of text.split('\n')) {
      let record: ExecutionRecord;
      try {
        record = JSON.parse(line) as ExecutionRecord;
      } catch {
        continue; // empty, or torn by a crash mid-write
      }
      entry.lastSeq = Math.max(entry.lastSeq, record.seq);
      // Records at or below the trim point were already counted in acked.json.
      if (record.type === 'output' && record.seq > (trimmed?.lastSeq ?? 0)) entry.outputLines++;
      if (record.seq > entry.acked) entry.records.push({ seq: record.seq, text: line });
    }
    const result = readJson<ResultMessage>(join(dir, 'result.json'));
    if (result) entry.result = JSON.stringify(result);
    else entry.fd = openSync(join(dir, 'records.jsonl'), 'a', 0o600);
    this.entries.set(id, entry);
  }

  /** Whether `id` was ever started on this machine (by this or an earlier agent run). */
  hasStarted(id: string): boolean {
    return this.started.has(id);
  }

  /** The execution's spooled state, while the server has not acknowledged its result. */
  get(id: string): SpoolEntry | undefined {
    return this.entries.get(id);
  }

  /** Executions with unacknowledged records or result. */
  pendingIds(): string[] {
    return [...this.entries.values()].filter((e) => e.records.length || e.result).map((e) => e.meta.executionId);
  }

  /** Executions a previous agent run started and never finished (their scripts died with it). */
  unfinished(): string[] {
    return [...this.entries.values()].filter((e) => !e.result).map((e) => e.meta.executionId);
  }

  /** Records the start durably. Throws if `id` was started before, or on I/O errors (e.g. ENOSPC). */
  begin(meta: ExecutionMeta): void {
    const id = meta.executionId;
    if (this.started.has(id)) throw new Error('execution already started');
    const dir = join(this.execDir, id);
    let fd: number;
    try {
      mkdirSync(dir, { mode: 0o700 });
      writeDurably(join(dir, 'meta.json'), JSON.stringify(meta));
      fsyncDir(this.execDir);
      writeSync(this.startedFd, `${id}\n`);
      fsyncSync(this.startedFd);
      fd = openSync(join(dir, 'records.jsonl'), 'a', 0o600);
    } catch (err) {
      // Not started: leave nothing that a restart would mistake for an interrupted execution.
      rmSync(dir, { recursive: true, force: true });
      throw err;
    }
    this.started.add(id);
    this.entries.set(id, { meta, records: [], acked: 0, lastSeq: 0, outputLines: 0, fd, fileBytes: 0 });
  }

  /** Gives the record the next seq, appends it and returns it. Throws on I/O errors. */
  append<R extends ExecutionRecord>(id: string, build: (seq: number) => R): StoredRecord {
    const entry = this.entries.get(id);
    if (!entry || entry.fd === undefined) throw new Error('execution is not open');
    const record = build(entry.lastSeq + 1);
    const text = JSON.stringify(record);
    const line = `${text}\n`;
    writeSync(entry.fd, line);
    entry.fileBytes += Buffer.byteLength(line);
    entry.lastSeq = record.seq;
    if (record.type === 'output') entry.outputLines++;
    const stored = { seq: record.seq, text };
    entry.records.push(stored);
    return stored;
  }

  /** Stores the terminal result durably (records first). Throws on I/O errors, result kept in memory. */
  finish(id: string, result: ResultMessage): void {
    const entry = this.entries.get(id);
    if (!entry || entry.result) throw new Error('execution is not open');
    // Kept in memory first: if the disk fails the result can still be delivered while the agent runs.
    entry.result = JSON.stringify(result);
    if (entry.fd !== undefined) {
      const fd = entry.fd;
      entry.fd = undefined;
      try {
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
    }
    writeDurably(join(this.execDir, id, 'result.json'), entry.result);
    fsyncDir(join(this.execDir, id));
  }

  /** The server stored records up to `seq`: forget them (and trim the file when all are acked). */
  ack(id: string, seq: number): void {
    const entry = this.entries.get(id);
    if (!entry || seq <= entry.acked) return;
    entry.acked = Math.min(seq, entry.lastSeq);
    while (entry.records.length && entry.records[0]!.seq <= entry.acked) entry.records.shift();
    if (entry.fd !== undefined && entry.acked === entry.lastSeq && entry.fileBytes > TRIM_BYTES) {
      const { acked, lastSeq, outputLines } = entry;
      writeDurably(join(this.execDir, id, 'acked.json'), JSON.stringify({ acked, lastSeq, outputLines }));
      ftruncateSync(entry.fd, 0);
      entry.fileBytes = 0;
    }
  }

  /** The server stored the result: delete everything but the `started` mark. */
  resultAck(id: string): void {
    const entry = this.entries.get(id);
    if (!entry?.result) return;
    this.entries.delete(id);
    rmSync(join(this.execDir, id), { recursive: true, force: true });
  }

  close(): void {
    for (const entry of this.entries.values()) {
      if (entry.fd !== undefined) closeSync(entry.fd);
      entry.fd = undefined;
    }
    closeSync(this.startedFd);
    rmSync(join(this.dir, 'lock'), { force: true });
    openHere.delete(this.dir);
  }
}
