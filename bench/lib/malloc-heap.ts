import { readFileSync } from 'node:fs';

/**
 * Where a process's resident memory lies, in KiB, from /proc/<pid>/smaps: `heap` is the main malloc
 * arena (`[heap]`, glibc's brk heap: OpenSSL, libuv and Node's C++ objects), `anon` every other
 * anonymous mapping (the V8 heap, malloc's mmapped chunks and thread arenas), `file` mapped files
 * (code, the SQLite shared memory). T4 reads it for the control plane and the bare server alike:
 * their native per-connection costs differ there, not in the V8 heap. Zeros when the process is gone.
 */
export interface MemoryMap {
  heap: number;
  anon: number;
  file: number;
}

export function memoryMap(pid: number): MemoryMap {
  const out: MemoryMap = { heap: 0, anon: 0, file: 0 };
  let smaps: string;
  try {
    smaps = readFileSync(`/proc/${pid}/smaps`, 'utf8');
  } catch {
    return out;
  }
  let kind: keyof MemoryMap = 'anon';
  for (const line of smaps.split('\n')) {
    const header = /^[0-9a-f]+-[0-9a-f]+ \S+ \S+ \S+ (\d+)\s*(.*)$/.exec(line);
    if (header) {
      const name = header[2]!;
      kind = name === '[heap]' ? 'heap' : header[1] !== '0' || name.startsWith('/') ? 'file' : 'anon';
      continue;
    }
    const rss = /^Rss:\s+(\d+) kB/.exec(line);
    if (rss) out[kind] += Number(rss[1]);
  }
  return out;
}
