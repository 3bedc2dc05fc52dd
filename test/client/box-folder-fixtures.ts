import { createHash } from 'node:crypto';
import { chmod, cp, mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const EXAMPLES = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'examples', 'boxes');

export const tempDir = (prefix = 'ebcli-boxes-'): Promise<string> => mkdtemp(join(tmpdir(), prefix));

/** A copy of examples/boxes in a temporary directory. */
export async function copyExamples(): Promise<string> {
  const dir = await tempDir();
  await cp(EXAMPLES, dir, { recursive: true });
  return dir;
}

export interface FolderSpec {
  events?: Record<string, string>;
  /** Extra files, relative to the box folder. */
  files?: Record<string, string | Buffer>;
}

/** Writes `<root>/<folder>/box.yaml` (as given), executable events and other files. */
export async function makeBox(root: string, folder: string, yaml: string, spec: FolderSpec = {}): Promise<string> {
  const dir = join(root, folder);
  await mkdir(join(dir, 'events'), { recursive: true });
  await writeFile(join(dir, 'box.yaml'), yaml);
  for (const [event, script] of Object.entries(spec.events ?? {})) {
    await writeFile(join(dir, 'events', event), script);
    await chmod(join(dir, 'events', event), 0o700);
  }
  for (const [rel, content] of Object.entries(spec.files ?? {})) {
    await mkdir(dirname(join(dir, rel)), { recursive: true });
    await writeFile(join(dir, rel), content);
  }
  return dir;
}

/** box.yaml of a script box with the given variables (YAML list items, already indented). */
export const scriptYaml = (name: string, variables = '', extra = ''): string =>
  `name: ${name}\nschema: http://elasticbox.net/schemas/boxes/script\nrequirements:\n- linux\n${extra}` +
  (variables ? `variables:\n${variables}` : '');

export const md5 = (b: Buffer | string): string => createHash('md5').update(b).digest('hex');
