/**
 * The layers of architecture.md, checked by `npm run lint` (dependency-cruiser):
 *   commands → cli → client → shared;  server → shared;  agent → client, shared, watcher;
 *   watcher → shared.
 * A layer may use the layers below it in its chain (commands may call the client directly).
 * Three process hosts are the only other arrows: `ebcli server start --foreground` runs the server
 * (commands/server/start.ts → server/start.ts, and http/public-url.ts for its flags) and `ebcli agent` runs an agent
 * (commands/agent.ts → agent/agent-process.ts), `ebcli server migrate` copies a store
 * (commands/server/migrate.ts → server/store/copy.ts, postgres.ts). Process entry points (agent/entry/) are leaves:
 * nothing imports them. No import cycles anywhere.
 * @type {import('dependency-cruiser').IConfiguration}
 */
const layer = (name, allowed) => ({
  name: `${name}-layer`,
  comment: `${name}/ may import only ${allowed.join(', ')} (architecture.md, dependency direction)`,
  severity: 'error',
  from: { path: `^src/${name}/` },
  to: { path: '^src/', pathNot: `^src/(${[name, ...allowed].join('|')})/` },
});

/** The two commands that host a process of another layer, and the one module each may import there. */
const HOSTS = [
  { from: '^src/commands/server/start\\.ts$', to: '^src/server/(start|http/public-url)\\.ts$' },
  { from: '^src/commands/agent\\.ts$', to: '^src/agent/agent-process\\.ts$' },
  // `ebcli server migrate` copies an embedded store into PostgreSQL itself: it works on the store.
  { from: '^src/commands/server/migrate\\.ts$', to: '^src/server/store/(copy|postgres)\\.ts$' },
];

module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      comment: 'import cycles make load order and layering fragile',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
    layer('shared', []),
    layer('client', ['shared']),
    layer('server', ['shared']),
    // The Watcher (issue 14) runs on machines beside the agent, which starts it.
    layer('watcher', ['shared']),
    layer('agent', ['client', 'shared', 'watcher']),
    layer('cli', ['client', 'shared']),
    layer('hooks', ['cli', 'client', 'shared']),
    {
      name: 'commands-layer',
      comment: 'commands/ may import cli, client and shared; only the two process hosts reach further',
      severity: 'error',
      from: { path: '^src/commands/', pathNot: HOSTS.map((h) => h.from) },
      to: { path: '^src/', pathNot: '^src/(commands|cli|client|shared)/' },
    },
    ...HOSTS.map((h) => ({
      name: 'process-host',
      comment: `${h.from} may reach past cli/ only to ${h.to}`,
      severity: 'error',
      from: { path: h.from },
      to: { path: '^src/', pathNot: ['^src/(commands|cli|client|shared)/', h.to] },
    })),
    {
      name: 'entry-points-are-leaves',
      comment: 'a process entry point (agent/entry/) runs on import: nothing imports it',
      severity: 'error',
      from: {},
      to: { path: '^src/agent/entry/' },
    },
  ],
  allowedSeverity: 'error',
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^(dist|node_modules)/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default'] },
  },
};
