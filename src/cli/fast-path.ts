import { parseArgs, type ParseArgsConfig } from 'node:util';
import { INSTANCE_STATES, instanceColumns, listInstances } from './instances-list.js';
import { extractJsonFields, projectJson } from './json-fields.js';
import { colorEnabled, style } from './render/style.js';
import { renderTable } from './render/table.js';
import { reportError, Session } from './session.js';

/**
 * `instances list` without loading oclif (startup budget T2). Only plain invocations qualify:
 * anything the parser below does not accept exactly (help, unknown flags, odd forms) returns
 * `undefined` and goes through oclif, so usage errors read the same either way. The flags mirror
 * src/commands/instances/list.ts plus the base flags; a test compares them with the manifest.
 */
export const INSTANCES_LIST_OPTIONS = {
  tag: { type: 'string', short: 't', multiple: true },
  state: { type: 'string' },
  workspace: { type: 'string', short: 'w' },
  columns: { type: 'string' },
  quiet: { type: 'boolean', short: 'q' },
  json: { type: 'boolean' },
  profile: { type: 'string' },
  url: { type: 'string' },
} satisfies ParseArgsConfig['options'];

/** The arguments after `instances list` (or the bare `instances` alias), if argv is that command. */
function instancesListArgs(argv: string[]): string[] | undefined {
  if (argv[0] !== 'instances') return undefined;
  if (argv[1] === 'list') return argv.slice(2);
  if (argv.length === 1 || argv[1]?.startsWith('-')) return argv.slice(1);
  return undefined;
}

/** Runs the command when argv qualifies; resolves with its exit code, else `undefined`. */
export async function runFastPath(argv: string[], userAgent: string): Promise<number | undefined> {
  const rest = instancesListArgs(argv);
  if (!rest || rest.some((a) => a === '-h' || a === '--help' || a === '--')) return undefined;
  let values: ReturnType<typeof parseArgs<{ options: typeof INSTANCES_LIST_OPTIONS }>>['values'];
  let fields: string[] | undefined;
  try {
    const json = extractJsonFields(rest, false);
    fields = json.fields;
    ({ values } = parseArgs({
      args: json.argv,
      options: INSTANCES_LIST_OPTIONS,
      strict: true,
      allowPositionals: false,
    }));
  } catch {
    return undefined;
  }
  // oclif words these usage errors
  if (values.quiet && values.json) return undefined;
  if (values.state !== undefined && !(INSTANCE_STATES as readonly string[]).includes(values.state)) return undefined;
  const json = Boolean(values.json);
  const session = new Session(
    { profile: values.profile, url: values.url, workspace: values.workspace },
    userAgent,
    (m) => process.stderr.write(`${m}\n`),
    true,
  );
  try {
    const columns = instanceColumns(values.columns);
    const rows = await listInstances(await session.client(), values);
    if (json) process.stdout.write(`${JSON.stringify(fields ? projectJson(rows, fields) : rows, null, 2)}\n`);
    else if (values.quiet) process.stdout.write(rows.map((r) => `${r.id}\n`).join(''));
    else {
      const tty = Boolean(process.stdout.isTTY);
      process.stdout.write(renderTable(rows, columns, { tty, style: await style(colorEnabled(process.stdout)) }));
    }
    return 0;
  } catch (err) {
    return reportError(err, json);
  } finally {
    await session.close();
  }
}
