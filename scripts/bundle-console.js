#!/usr/bin/env node
// Builds the web console (src/console) into dist/console/: one minified script and one stylesheet
// with content hashes in their names, and index.html naming them. The control plane serves these
// files itself (src/server/console); nothing is fetched from elsewhere at run time.
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { basename } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const out = fileURLToPath(new URL('../dist/console/', import.meta.url));
rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });
const result = await build({
  entryPoints: [fileURLToPath(new URL('../src/console/main.ts', import.meta.url))],
  bundle: true,
  minify: true,
  format: 'esm',
  target: ['es2022', 'chrome110', 'firefox110', 'safari16'],
  entryNames: '[name]-[hash]',
  outdir: out,
  metafile: true,
  legalComments: 'none',
  logLevel: 'warning',
});
const files = Object.keys(result.metafile.outputs).map((f) => basename(f));
const script = files.find((f) => f.endsWith('.js'));
const style = files.find((f) => f.endsWith('.css'));
const page = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>ebcli console</title>
${style ? `<link rel="stylesheet" href="/console/${style}">` : ''}
<script type="module" src="/console/${script}"></script>
</head>
<body>
<div id="app"></div>
</body>
</html>
`;
writeFileSync(`${out}index.html`, page);
process.stdout.write(`bundled dist/console/ (${files.join(', ')}, index.html)\n`);
