import { describe, expect, it } from 'vitest';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import { checkVariables } from '../../src/client/box-folder/variables.js';
import { isIdentifier, isScope, USERNAME } from '../../src/shared/identifiers.js';
import { Scope, VariableName } from '../../src/shared/protocol.js';
import { Variable } from '../../src/server/boxes/schemas.js';
import { USERNAME as STORE_USERNAME } from '../../src/server/workspaces/user-store.js';

// The box folder checker (client), the server's box schema and the agent protocol used to hold
// three different identifier rules (the protocol allowed '-' and 128 characters); they hold one now.
const names: [string, boolean][] = [
  ['port', true],
  ['_x1', true],
  ['DB_HOST', true],
  ['a'.repeat(64), true],
  ['a'.repeat(65), false],
  ['1abc', false],
  ['my-var', false],
  ['a.b', false],
  ['', false],
  ['é', false],
];
const scopes: [string, boolean][] = [
  ['', true],
  ['web', true],
  ['policy.db_1', true],
  ['web.', false],
  ['.web', false],
  ['web-1', false],
  ['1web', false],
];

const protocolName = TypeCompiler.Compile(VariableName);
const protocolScope = TypeCompiler.Compile(Scope);
const folderAccepts = (v: Record<string, unknown>) => checkVariables([v], () => undefined).errors.length === 0;

describe('one identifier rule', () => {
  it.each(names)('variable name %j: %s everywhere', (name, ok) => {
    expect(isIdentifier(name)).toBe(ok);
    expect(protocolName.Check(name)).toBe(ok);
    expect(folderAccepts({ name, type: 'Text', value: '' })).toBe(ok);
  });

  it.each(scopes)('scope %j: %s everywhere', (scope, ok) => {
    expect(isScope(scope)).toBe(ok);
    expect(protocolScope.Check(scope)).toBe(ok);
    // The folder checker treats an empty scope as none.
    expect(folderAccepts({ name: 'x', type: 'Text', value: '', scope })).toBe(ok);
  });

  it("the server's box variable schema holds the same rule (ajv validates it in the app)", () => {
    expect(Variable.properties.name.pattern).toBe(VariableName.pattern);
    expect(Variable.properties.name.maxLength).toBe(VariableName.maxLength);
    expect(Variable.properties.scope.pattern).toBe(Scope.pattern);
  });

  it('usernames have one rule, shared by the store and the routes', () => {
    expect(STORE_USERNAME).toBe(USERNAME);
    expect(USERNAME.test('alice_1')).toBe(true);
    expect(USERNAME.test('Alice')).toBe(false);
  });
});
