import { afterEach, describe, expect, it } from 'vitest';
import { configureFailpoints, failpoint, FailpointError, parseFailpoints } from '../../src/server/failpoints.js';

afterEach(() => configureFailpoints({}));

describe('failpoints', () => {
  it('parse name:action pairs and refuse unknown names and actions', () => {
    expect(parseFailpoints(undefined).size).toBe(0);
    expect([...parseFailpoints('after-commit-before-reply:kill, after-step-commit:delay:25').entries()]).toEqual([
      ['after-commit-before-reply', { kind: 'kill' }],
      ['after-step-commit', { kind: 'delay', ms: 25 }],
    ]);
    expect(() => parseFailpoints('after-comit:kill')).toThrow(/unknown failpoint 'after-comit'/);
    expect(() => parseFailpoints('after-step-commit:explode')).toThrow(/kill, throw, hang or delay/);
    expect(() => parseFailpoints('after-step-commit:delay:soon')).toThrow(/delay/);
    expect(() => parseFailpoints('after-step-commit:kill:3')).toThrow();
  });

  it('are inert unless configured, and then throw, delay or hang', async () => {
    configureFailpoints({});
    expect(failpoint('after-commit-before-reply')).toBeUndefined();

    configureFailpoints({ EBCLI_FAILPOINT: 'after-commit-before-reply:throw' });
    await expect(failpoint('after-commit-before-reply')).rejects.toBeInstanceOf(FailpointError);
    expect(failpoint('after-step-commit')).toBeUndefined();

    configureFailpoints({ EBCLI_FAILPOINT: 'after-step-commit:delay:60' });
    const t0 = Date.now();
    await failpoint('after-step-commit');
    expect(Date.now() - t0).toBeGreaterThanOrEqual(50);

    configureFailpoints({ EBCLI_FAILPOINT: 'after-step-commit:hang' });
    const hung = await Promise.race([
      failpoint('after-step-commit')?.then(() => 'continued'),
      new Promise((r) => setTimeout(() => r('hung'), 100)),
    ]);
    expect(hung).toBe('hung');
  });
});
