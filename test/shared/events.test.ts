import { describe, expect, it } from 'vitest';
import { EVENT_TYPES } from '../../src/shared/events.js';
import { eventShapeProblem } from '../helpers/event-shapes.js';
import { startTestServer } from '../helpers/server.js';
import { appendEvents, readEvents, type NewEvent } from '../../src/server/events/log.js';

const samples: NewEvent[] = [
  {
    workspace: 'admin',
    type: 'instance.state',
    instanceId: 'i-aaaaaa',
    data: { id: 'i-aaaaaa', state: 'done', operation: { event: 'deploy', workspace: 'admin' }, updated: 'now' },
  },
  { workspace: 'admin', type: 'script.start', data: { executionId: 'x', event: 'install', box: 'Web' } },
  { workspace: 'admin', type: 'script.output', data: { executionId: 'x', stream: 'stdout', lines: ['a', 'b'] } },
  { workspace: 'admin', type: 'script.output', data: { executionId: 'x', stream: 'stderr', line: 'a', partial: true } },
  { workspace: 'admin', type: 'script.finish', data: { executionId: 'x', status: 'failed', exitCode: null } },
  { workspace: 'admin', type: 'agent.connect', data: { machine: 'm', session: 3, agentVersion: '1.0' } },
  { workspace: 'admin', type: 'machine.enrolled', data: { machine: 'm', hostname: 'h', claims: ['linux'] } },
];

describe('event payloads, one union by type', () => {
  it('every type has a payload schema the checker compiles', () => {
    expect(EVENT_TYPES).toContain('script.output');
    for (const type of EVENT_TYPES) expect(eventShapeProblem({ type, data: {} })).toMatch(new RegExp(`^${type} `));
  });

  it('names a payload that does not match its type, and an unknown type', () => {
    expect(eventShapeProblem({ type: 'script.output', data: { executionId: 'x', stream: 'out', line: 'a' } })).toMatch(
      /^script\.output /,
    );
    expect(eventShapeProblem({ type: 'script.finish', data: { executionId: 'x', status: 'success' } })).toMatch(
      /exitCode/,
    );
    expect(eventShapeProblem({ type: 'no.such', data: {} })).toBe('unknown event type no.such');
  });

  it('events written through the typed log read back with their payload shapes', async () => {
    const t = await startTestServer();
    try {
      await t.server.db.transaction().execute((trx) => appendEvents(trx, samples));
      const read = await readEvents(t.server.db, 'admin', { types: samples.map((s) => s.type) });
      expect(read.map((e) => e.type)).toEqual(samples.map((s) => s.type));
      expect(read.map(eventShapeProblem).filter(Boolean)).toEqual([]);
      const wire = await t.call('GET', '/services/events?type=script.output');
      expect(wire.body.events.map((e: { type: string; data: unknown }) => eventShapeProblem(e))).toEqual([
        undefined,
        undefined,
      ]);
    } finally {
      await t.stop();
    }
  });
});
