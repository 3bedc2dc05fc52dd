/** The one exit-code table (cli.md "Exit codes"). Commands and the base command use only these. */
export const ExitCode = {
  Ok: 0,
  Failed: 1,
  Usage: 2,
  Timeout: 3,
  Auth: 4,
  Partial: 5,
  NotFound: 6,
  AgentUnreachable: 7,
  Interrupted: 130,
} as const;

export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode];

/** Rows of the table as documented; `ebcli help exit-codes` prints them. */
export const EXIT_CODE_TABLE: ReadonlyArray<{ code: ExitCodeValue; name: string; meaning: string }> = [
  { code: 0, name: 'ok', meaning: 'success' },
  {
    code: 1,
    name: 'failed',
    meaning: 'the operation failed (an instance ended unavailable, a script exited non-zero, the API refused)',
  },
  { code: 2, name: 'usage', meaning: 'usage error (unknown flag, missing argument)' },
  {
    code: 3,
    name: 'timeout',
    meaning: 'timed out waiting; the operation may still be running (the message says how to keep waiting)',
  },
  { code: 4, name: 'auth', meaning: 'not authenticated or not allowed' },
  { code: 5, name: 'partial', meaning: 'partial failure in a bulk operation (some targets failed)' },
  { code: 6, name: 'not_found', meaning: 'not found' },
  {
    code: 7,
    name: 'agent_unreachable',
    meaning: 'agent unreachable (for events -f: the server was not reached within --connect-timeout)',
  },
  { code: 130, name: 'interrupted', meaning: 'interrupted (Ctrl-C)' },
];
