import { describe, expect, it } from 'vitest';
import { LineSplitter, OutputCap, splitUtf8, type OutputLine } from '../../src/agent/output.js';
import { MAX_CHUNK_BYTES } from '../../src/shared/protocol.js';
import { Redactor } from '../../src/shared/redact.js';

function splitter(secrets: string[] = []) {
  const lines: OutputLine[] = [];
  return { lines, s: new LineSplitter('stdout', new Redactor(secrets), (l) => lines.push(l)) };
}

describe('LineSplitter', () => {
  it('masks a secret that arrives in two pipe reads and strips CRLF', () => {
    const { lines, s } = splitter(['correct-horse']);
    s.push(Buffer.from('pass=correct-'));
    s.push(Buffer.from('horse\r\nnext'));
    s.end();
    expect(lines.map((l) => l.line)).toEqual(['pass=***', 'next']);
  });

  it('decodes a multi-byte character split across reads and never splits a surrogate pair', () => {
    const { lines, s } = splitter();
    const text = `${'a'.repeat(MAX_CHUNK_BYTES)}😀${'b'.repeat(10)}é`;
    const bytes = Buffer.from(`${text}\n`);
    for (let i = 0; i < bytes.length; i += 4097) s.push(bytes.subarray(i, i + 4097));
    s.end();
    expect(lines.map((l) => l.line).join('')).toBe(text);
    expect(lines.every((l) => !/[\ud800-\udbff]$/.test(l.line))).toBe(true);
    expect(lines.at(-1)!.partial).toBe(false);
  });

  it('masks a secret straddling a forced chunk boundary of a long line', () => {
    const { lines, s } = splitter(['0123456789-secret']);
    s.push(Buffer.from(`${'x'.repeat(MAX_CHUNK_BYTES - 5)}0123456789-secret${'y'.repeat(100)}`));
    s.end();
    const joined = lines.map((l) => l.line).join('');
    expect(joined).toBe(`${'x'.repeat(MAX_CHUNK_BYTES - 5)}***${'y'.repeat(100)}`);
  });
});

describe('splitUtf8 and OutputCap', () => {
  it('splits by UTF-8 bytes', () => {
    const pieces = splitUtf8('é'.repeat(10), 5);
    expect(pieces).toEqual(['éé', 'éé', 'éé', 'éé', 'éé']);
  });

  it('keeps the head live, then only the tail, with a marker', () => {
    const out: string[] = [];
    const cap = new OutputCap(1024, (l) => out.push(l.line));
    for (let i = 0; i < 200; i++) cap.accept({ stream: 'stdout', line: `line ${i}`, partial: false });
    expect(out.at(-1)).not.toBe('line 199'); // the tail is held until the end
    cap.finish();
    expect(cap.truncated).toBe(true);
    expect(out[0]).toBe('line 0');
    expect(out.at(-1)).toBe('line 199');
    expect(out.some((l) => l.startsWith('[ebcli agent: output truncated'))).toBe(true);
    expect(out.reduce((n, l) => n + Buffer.byteLength(l) + 1, 0)).toBeLessThanOrEqual(1024);
  });
});
