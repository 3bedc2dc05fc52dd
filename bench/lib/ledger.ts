/**
 * The ledger of quality.md A4 (item 1): one record per client call of a fault campaign, `invoke`
 * before it, then `ok` with the id the server returned, `fail` with the error the server answered,
 * or `info` when the outcome is unknown (a reset connection, a replica killed mid-request). Kept in
 * memory and, given a file, as JSONL. The checker (ledger-check.ts) judges it after the fault.
 */
import { appendFileSync } from 'node:fs';

export type LedgerType = 'invoke' | 'ok' | 'fail' | 'info';

export interface LedgerRecord {
  at: number;
  type: LedgerType;
  /** What was asked (`deploy`, …). */
  op: string;
  /** The request's business key: the instance name of a deploy, unique in the campaign. */
  key: string;
  /** The id the server returned (`ok`). */
  id?: string;
  /** HTTP status or error (`fail`, `info`). */
  error?: string;
}

export class Ledger {
  readonly records: LedgerRecord[] = [];

  constructor(private readonly file?: string) {}

  private add(r: Omit<LedgerRecord, 'at'>): void {
    const record = { at: Date.now(), ...r };
    this.records.push(record);
    if (this.file) appendFileSync(this.file, `${JSON.stringify(record)}\n`);
  }

  invoke(op: string, key: string): void {
    this.add({ type: 'invoke', op, key });
  }
  ok(op: string, key: string, id: string): void {
    this.add({ type: 'ok', op, key, id });
  }
  fail(op: string, key: string, error: string): void {
    this.add({ type: 'fail', op, key, error });
  }
  info(op: string, key: string, error: string): void {
    this.add({ type: 'info', op, key, error });
  }

  /**
   * The outcome of each invoked call of `op`, by key: the last `ok`, `fail` or `info` (a retried
   * call may end `info` once, then `ok`); `invoke` when it never ended.
   */
  outcomes(op: string): Map<string, LedgerRecord> {
    const out = new Map<string, LedgerRecord>();
    for (const r of this.records) {
      if (r.op !== op) continue;
      const prev = out.get(r.key);
      // An `ok` is final: a later `info` of a retry that reached a dead replica does not undo it.
      if (prev?.type === 'ok') continue;
      out.set(r.key, r);
    }
    return out;
  }

  counts(op: string): Record<LedgerType, number> {
    const c: Record<LedgerType, number> = { invoke: 0, ok: 0, fail: 0, info: 0 };
    for (const r of this.outcomes(op).values()) c[r.type]++;
    return c;
  }
}
