import { createRequire } from 'node:module';

type Ssh2 = typeof import('ssh2');
let lib: Ssh2 | undefined;

/**
 * ssh2, required on first use: a control plane that never talks ssh does not load it at start (T15),
 * and the server bundle leaves it outside (its optional native bindings are not bundleable).
 */
export const ssh2 = (): Ssh2 => (lib ??= createRequire(import.meta.url)('ssh2') as Ssh2);
