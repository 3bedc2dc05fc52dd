/**
 * Test files the PostgreSQL pass (`EBCLI_TEST_DATABASE=postgres`, .ci/run) leaves out, each group
 * with its reason. Everything else runs on both engines. A file belongs here only when running it
 * again on PostgreSQL would exercise no store code the SQLite pass did not already run the same way:
 * - it starts no control plane at all (nothing opens a store), or
 * - its subject is the CLI process (argument parsing, rendering, exit codes, profiles, bundles,
 *   proxies and TLS trust, pipes), the server it talks to answering routes that the server, events,
 *   workflow and e2e tests cover on PostgreSQL; these spawn many CLI processes, which is where the
 *   time of a pass goes on 2 cores, or
 * - it runs the embedded SQLite server on every run by design (the local profile, the server bundle).
 * Run one anyway by naming it with EBCLI_TEST_PG_ALL=1.
 */
export const NOT_ON_POSTGRES: readonly string[] = [
  // No control plane: the agent against a stand-in (test/agent/control-plane.ts), pure units, lint.
  'test/agent/**',
  'test/shared/**',
  'test/lint/**',
  'test/client/{box-folder,box-folder-import,faults,pinned-tls,pinned-tls-differential}.test.ts',
  'test/cli/{apply-plan,boxes-templates,config,did-you-mean,events-connect-timeout,flags-snapshot,help-fast,progress-view,render}.test.ts',
  // The CLI process is the subject; the server behind it serves what other files test on PostgreSQL.
  'test/cli/{bundled-commands,console-command,exit-codes,json-fields-quiet,network,output,profiles-commands}.test.ts',
  // The embedded SQLite control plane on every run: the local profile, the server bundle's start
  // path, and the data directory's files (modes of the database and its WAL; what scripts can reach).
  'test/cli/{profiles,server-bundle}.test.ts',
  'test/e2e/{file-modes,isolation}.test.ts',
];
