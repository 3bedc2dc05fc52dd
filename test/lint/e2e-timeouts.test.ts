// Every end-to-end test states how long it may take (issue 16): a per-test timeout (`it(name, { timeout },
// fn)` or `it(name, fn, ms)`) or one on a describe around it. The suite's default is for unit tests;
// an e2e test that outgrows it should fail on a limit someone chose for it, not on a global one.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const E2E = join(import.meta.dirname, '..', 'e2e');
const TEST_CALLS = new Set(['it', 'test']);

const calleeName = (call: ts.CallExpression): string | undefined => {
  let e: ts.Expression = call.expression;
  // it.skip / it.each(...) / describe.sequential
  while (ts.isPropertyAccessExpression(e) || ts.isCallExpression(e))
    e = ts.isPropertyAccessExpression(e) ? e.expression : e.expression;
  return ts.isIdentifier(e) ? e.text : undefined;
};

const hasTimeout = (call: ts.CallExpression): boolean =>
  call.arguments.some(
    (arg, i) =>
      (i > 0 &&
        ts.isObjectLiteralExpression(arg) &&
        arg.properties.some((p) => p.name && ts.isIdentifier(p.name) && p.name.text === 'timeout')) ||
      (i === 2 && (ts.isNumericLiteral(arg) || ts.isIdentifier(arg))),
  );

/** Tests of a file without a timeout of their own or of an enclosing describe, as `line: name`. */
export function testsWithoutTimeout(file: string): string[] {
  const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true);
  const missing: string[] = [];
  const visit = (node: ts.Node, covered: boolean): void => {
    if (ts.isCallExpression(node)) {
      const name = calleeName(node);
      if (name === 'describe') covered ||= hasTimeout(node);
      else if (name && TEST_CALLS.has(name) && !covered && !hasTimeout(node)) {
        const { line } = source.getLineAndCharacterOfPosition(node.getStart());
        const title = node.arguments[0];
        missing.push(`${line + 1}: ${title && ts.isStringLiteralLike(title) ? title.text : '?'}`);
      }
    }
    ts.forEachChild(node, (child) => visit(child, covered));
  };
  visit(source, false);
  return missing;
}

describe('e2e tests state their timeouts', () => {
  it('finds a test without one (the check can fail)', () => {
    const fixture = join(import.meta.dirname, 'fixture', 'e2e-no-timeout.ts');
    expect(testsWithoutTimeout(fixture)).toEqual(['5: has none']);
  });

  it('every test under test/e2e has a timeout of its own or of its describe', () => {
    const missing = readdirSync(E2E)
      .filter((f) => f.endsWith('.test.ts'))
      .flatMap((f) => testsWithoutTimeout(join(E2E, f)).map((t) => `${f}:${t}`));
    expect(missing).toEqual([]);
  });
});
