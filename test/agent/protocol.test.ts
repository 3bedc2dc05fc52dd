import { describe, expect, it } from 'vitest';
import { Backoff, backoffWindow, fullJitterDelay } from '../../src/shared/backoff.js';
import {
  CloseCode,
  encodeMessage,
  jsonDepth,
  MAX_FRAME_BYTES,
  parseMessage,
  ProtocolError,
} from '../../src/shared/protocol.js';
import { executeMessage } from './control-plane.js';

function protocolError(fn: () => unknown): ProtocolError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ProtocolError);
    return err as ProtocolError;
  }
  throw new Error('expected a ProtocolError');
}

describe('parseMessage', () => {
  it('accepts every valid message in its direction only', () => {
    const execute = executeMessage({ context: { a: { b: [1, 2] } }, env: { X: '1' }, secrets: ['topsecret'] });
    expect(parseMessage(JSON.stringify(execute), 'server')).toEqual(execute);
    const output = { type: 'output', executionId: 'e1', seq: 1, stream: 'stdout', line: 'hi' };
    expect(parseMessage(Buffer.from(JSON.stringify(output)), 'agent')).toEqual(output);
    expect(protocolError(() => parseMessage(JSON.stringify(output), 'server')).message).toBe('unknown message type');
    for (const msg of [
      { type: 'hello', protocol: 1, machine: 'm', agentVersion: '1', pending: [], running: [] },
      { type: 'heartbeat', sentAt: 1 },
      { type: 'set_variable', executionId: 'e', seq: 2, name: 'PORT', value: '80', scope: 'web.db' },
      { type: 'notify', executionId: 'e', seq: 3 },
      {
        type: 'result',
        executionId: 'e',
        status: 'timeout',
        exitCode: null,
        signal: 'SIGKILL',
        truncated: false,
        startedAt: 1,
        finishedAt: 2,
        outputLines: 1,
        lastSeq: 3,
      },
      { type: 'rejected', executionId: 'e', reason: 'duplicate' },
    ]) {
      expect(parseMessage(JSON.stringify(msg), 'agent')).toEqual(msg);
    }
    for (const msg of [
      { type: 'ack', executionId: 'e', seq: 4 },
      { type: 'result_ack', executionId: 'e' },
      { type: 'cancel', executionId: 'e' },
      { type: 'ping', sentAt: 5 },
    ]) {
      expect(parseMessage(JSON.stringify(msg), 'server')).toEqual(msg);
    }
  });

  it('rejects bad frames without echoing their content', () => {
    const secretish = 'sk-live-DO-NOT-ECHO';
    const cases: Array<[string | Buffer, number]> = [
      [`{"type":"${secretish}"}`, CloseCode.policy],
      [`{"type":"output","executionId":"../${secretish}","seq":1,"stream":"stdout","line":"x"}`, CloseCode.policy],
      [`{"type":"output","executionId":"e","seq":0,"stream":"stdout","line":"${secretish}"}`, CloseCode.policy],
      [`not json ${secretish}`, CloseCode.invalidData],
      [`["${secretish}"]`, CloseCode.policy],
      [Buffer.from([0x7b, 0xff, 0xfe, 0x7d]), CloseCode.invalidData],
      ['['.repeat(10_000) + ']'.repeat(10_000), CloseCode.policy],
      [`{"type":"heartbeat","sentAt":1,"pad":"${'x'.repeat(MAX_FRAME_BYTES)}"}`, CloseCode.tooBig],
    ];
    for (const [frame, code] of cases) {
      const err = protocolError(() => parseMessage(frame, 'agent'));
      expect(err.closeCode).toBe(code);
      expect(err.message).not.toContain(secretish);
      expect(err.message).not.toContain('..');
    }
    const bad = protocolError(() =>
      parseMessage(JSON.stringify({ ...executeMessage({ executionId: 'ok-id' }), env: { [secretish]: 5 } }), 'server'),
    );
    expect(bad.message).toBe('invalid execute message at /env');
    expect(bad.executionId).toBe('ok-id');
    expect(bad.messageType).toBe('execute');
  });

  it('measures JSON depth without parsing and ignores brackets inside strings', () => {
    expect(jsonDepth('{"a":[{"b":"[[[["}]}')).toBe(3);
    expect(jsonDepth('"\\"[["')).toBe(0);
  });

  it('refuses to encode a frame over the cap', () => {
    expect(() =>
      encodeMessage({ type: 'rejected', executionId: 'e', reason: 'invalid', message: 'x'.repeat(MAX_FRAME_BYTES) }),
    ).toThrow(ProtocolError);
  });
});

describe('full-jitter backoff', () => {
  it('doubles its window from 1 s up to 60 s and draws uniformly below it', () => {
    expect([0, 1, 2, 5, 6, 7, 100, 5000].map((a) => backoffWindow(a))).toEqual([
      1000, 2000, 4000, 32_000, 60_000, 60_000, 60_000, 60_000,
    ]);
    expect(fullJitterDelay(3, { random: () => 0.5 })).toBe(4000);
    expect(fullJitterDelay(3, { random: () => 0 })).toBe(0);
    const backoff = new Backoff({ baseMs: 10, capMs: 50 });
    const delays = Array.from({ length: 200 }, () => backoff.next());
    expect(Math.max(...delays)).toBeLessThan(50);
    expect(delays.every((d) => d >= 0)).toBe(true);
    expect(backoff.attempt).toBe(200);
    backoff.reset();
    expect(backoff.next()).toBeLessThan(10);
  });
});
