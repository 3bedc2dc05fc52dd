import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface FolderSpec {
  name: string;
  /** Event name → script body (a shebang is added). */
  events: Record<string, string>;
  variables?: { name: string; value: string; type?: string }[];
  /** Files under files/, referenced by File variables of the same name. */
  files?: Record<string, string>;
}

/** Writes (or rewrites) a one-box folder in the CAM export format and returns its path. */
export function writeBoxFolder(root: string, spec: FolderSpec): string {
  const dir = join(root, spec.name);
  mkdirSync(join(dir, 'events'), { recursive: true });
  const vars = (spec.variables ?? []).map((v) =>
    [`- name: ${v.name}`, `  type: ${v.type ?? 'Text'}`, `  value: '${v.value}'`, '  visibility: public'].join('\n'),
  );
  for (const [file, text] of Object.entries(spec.files ?? {})) {
    mkdirSync(join(dir, 'files'), { recursive: true });
    writeFileSync(join(dir, 'files', file), text);
  }
  writeFileSync(
    join(dir, 'box.yaml'),
    [
      `name: ${spec.name}`,
      'requirements:',
      '- linux',
      'schema: http://elasticbox.net/schemas/boxes/script',
      ...(vars.length ? ['variables:', ...vars] : ['variables: []']),
      '',
    ].join('\n'),
  );
  for (const [event, body] of Object.entries(spec.events)) {
    writeFileSync(join(dir, 'events', event), `#!/bin/bash\n${body}\n`, { mode: 0o700 });
  }
  return dir;
}

/** A script line that appends `<label>` to the counter file, so tests count how often each script ran. */
export const count = (file: string, label: string) => `echo ${label} >> ${file}`;
