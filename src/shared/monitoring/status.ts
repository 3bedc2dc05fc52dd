/**
 * Check statuses follow the Nagios plugin convention: the exit code of the check is its status, and
 * the first line of its output is its message. Anything outside 0..3 counts as UNKNOWN.
 */
export const CheckStatus = { ok: 0, warning: 1, critical: 2, unknown: 3 } as const;
export type CheckStatus = (typeof CheckStatus)[keyof typeof CheckStatus];

const NAMES = ['ok', 'warning', 'critical', 'unknown'] as const;
export type CheckStatusName = (typeof NAMES)[number];

export function statusOf(exitCode: number | null | undefined): CheckStatus {
  return exitCode === 0 || exitCode === 1 || exitCode === 2 || exitCode === 3 ? exitCode : CheckStatus.unknown;
}

export function statusName(status: number): CheckStatusName {
  return NAMES[statusOf(status)];
}

export function statusByName(name: string): CheckStatus | undefined {
  const i = NAMES.indexOf(name.toLowerCase() as CheckStatusName);
  return i < 0 ? undefined : (i as CheckStatus);
}

/** The message of a check's output: its first line, trimmed (perfdata after `|` excluded). */
export function messageOf(output: string): string {
  const first = output.split('\n', 1)[0] ?? '';
  return first.split('|', 1)[0]!.trim();
}
