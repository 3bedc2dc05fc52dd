let lastMicros = 0n;

/** Microseconds since the epoch, strictly increasing within this process. */
function nowMicros(): bigint {
  const micros = BigInt(Date.now()) * 1000n;
  lastMicros = micros > lastMicros ? micros : lastMicros + 1n;
  return lastMicros;
}

/** Formats microseconds since the epoch as CAM's `YYYY-MM-DD HH:MM:SS.ffffff` (UTC, no zone). */
export function formatTimestamp(micros: bigint): string {
  const date = new Date(Number(micros / 1000n));
  const fraction = (micros % 1_000_000n).toString().padStart(6, '0');
  return `${date.toISOString().slice(0, 19).replace('T', ' ')}.${fraction}`;
}

/** The current time as a CAM timestamp; two calls in one process never return the same value. */
export function timestamp(): string {
  return formatTimestamp(nowMicros());
}

export const TIMESTAMP = /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\.\d{6}$/;

/** Parses a CAM timestamp (UTC) into epoch milliseconds, or undefined when malformed. */
export function parseTimestamp(value: string): number | undefined {
  if (!TIMESTAMP.test(value)) return undefined;
  const ms = Date.parse(`${value.slice(0, 23).replace(' ', 'T')}Z`);
  return Number.isNaN(ms) ? undefined : ms;
}
