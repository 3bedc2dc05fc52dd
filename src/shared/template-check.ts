/**
 * Static checks of event-script templates (Jinja2 through nunjucks, as src/agent/render.ts renders
 * them): syntax errors with their line, and the top-level names a template reads. Used by
 * `boxes validate` and by the agent to word deploy-time template errors.
 */
import nunjucks from 'nunjucks';

/** Names every script context has besides the box's variables (src/server/workflows/template-context.ts, the agent's `folder`) and nunjucks globals. */
export const CONTEXT_NAMES = [
  'instance',
  'service',
  'machine',
  'address',
  'addresses',
  'box',
  'environment',
  'variables',
  'folder',
  'loop',
  'range',
  'cycler',
  'joiner',
  'caller',
  'True',
  'False',
  'None',
] as const;

/** nunjucks' parser (exported at runtime, missing from @types/nunjucks). */
interface Parser {
  parse(source: string): unknown;
}

let compat = false;
function parser(): Parser {
  if (!compat) {
    nunjucks.installJinjaCompat();
    compat = true;
  }
  return (nunjucks as unknown as { parser: Parser }).parser;
}

export interface TemplateSyntaxError {
  /** 1-based line, when nunjucks knows it (an unclosed tag: where it opened). */
  line?: number;
  message: string;
}

/** The first syntax error of a template, or `undefined` when it parses. */
export function templateSyntaxError(source: string): TemplateSyntaxError | undefined {
  try {
    parser().parse(source);
    return undefined;
  } catch (err) {
    const e = err as { message?: string; lineno?: number };
    const message = String(e.message ?? err)
      .replace(/^\([^)]*\)( \[Line \d+, Column \d+\])?\s*/, '')
      .replace(/^Error: /, '')
      .trim();
    let line = typeof e.lineno === 'number' && e.lineno > 0 ? e.lineno : undefined;
    if (line === undefined) {
      // "expected end of comment/block/variable, got end of file": the last opening tag.
      const open = Math.max(source.lastIndexOf('{#'), source.lastIndexOf('{%'), source.lastIndexOf('{{'));
      if (open >= 0) line = source.slice(0, open).split('\n').length;
    }
    return { line, message };
  }
}

type AstNode = {
  typename?: string;
  fields?: string[];
  children?: AstNode[];
  lineno?: number;
  value?: unknown;
} & Record<string, unknown>;

/** Filters a template uses that nunjucks does not have (the render would fail), with their line. */
export function unknownFilters(source: string): { name: string; line: number }[] {
  parser();
  const known = (new nunjucks.Environment() as unknown as { filters: Record<string, unknown> }).filters;
  const out: { name: string; line: number }[] = [];
  walk(parser().parse(source), (node) => {
    if (node.typename !== 'Filter' && node.typename !== 'FilterAsync') return;
    const name = String((node.name as AstNode | undefined)?.value ?? '');
    if (name && !(name in known)) out.push({ name, line: (node.lineno ?? 0) + 1 });
  });
  return out;
}

function walk(n: unknown, fn: (node: AstNode) => void): void {
  if (Array.isArray(n)) return n.forEach((c) => walk(c, fn));
  const node = n as AstNode | undefined;
  if (!node || typeof node !== 'object' || !node.typename) return;
  fn(node);
  for (const field of node.fields ?? []) walk(node[field], fn);
}

/** Top-level names a template reads and does not bind itself ({% set %}, {% for %}, macros), with their first line. */
export function templateNames(source: string): { name: string; line: number }[] {
  const root = parser().parse(source) as unknown as AstNode;
  const used = new Map<string, number>();
  const bound = new Set<string>();
  const bind = (n: unknown) => {
    const node = n as AstNode | undefined;
    if (!node) return;
    if (node.typename === 'Symbol') bound.add(String(node.value));
    for (const c of node.children ?? []) bind(c);
  };
  const visit = (n: unknown): void => {
    if (Array.isArray(n)) return n.forEach(visit);
    const node = n as AstNode | undefined;
    if (!node || typeof node !== 'object' || !node.typename) return;
    switch (node.typename) {
      case 'Symbol': {
        const name = String(node.value);
        if (!used.has(name)) used.set(name, (node.lineno ?? 0) + 1);
        return;
      }
      case 'Set':
        (node.targets as unknown[]).forEach(bind);
        break;
      case 'For':
      case 'AsyncEach':
      case 'AsyncAll':
        bind(node.name);
        break;
      case 'Macro':
        bind(node.name);
        bind(node.args);
        break;
      case 'Import':
      case 'FromImport':
        bind(node.target);
        bind(node.names);
        break;
    }
    for (const field of node.fields ?? []) {
      if ((node.typename === 'Filter' || node.typename === 'FilterAsync') && field === 'name') continue;
      if (node.typename === 'Is' && field === 'right') continue;
      if (node.typename === 'Pair' && field === 'key') continue;
      visit(node[field]);
    }
  };
  visit(root);
  return [...used].filter(([name]) => !bound.has(name)).map(([name, line]) => ({ name, line }));
}

/**
 * A render error worded with the file and a 1-based line. nunjucks reports runtime errors with
 * 0-based lines (`[Line 1, …]` for the second line) and syntax errors with 1-based ones.
 */
export function describeTemplateError(err: unknown, source: string, file: string): string {
  const syntax = templateSyntaxError(source);
  if (syntax) return `${file}${syntax.line ? ` line ${syntax.line}` : ''}: ${syntax.message}`;
  const text = String((err as Error)?.message ?? err);
  const filter = /filter not found: (\S+)/.exec(text)?.[1];
  const line = filter ? unknownFilters(source).find((f) => f.name === filter)?.line : undefined;
  if (line) return `${file} line ${line}: filter not found: ${filter}`;
  const m = /\[Line (\d+), Column (\d+)\]/.exec(text);
  const message = text
    .replace(/^\([^)]*\)( \[Line \d+, Column \d+\])?\s*/, '')
    .replace(/^Error: /, '')
    .trim();
  return `${file}${m ? ` line ${Number(m[1]) + 1}` : ''}: ${message}`;
}
