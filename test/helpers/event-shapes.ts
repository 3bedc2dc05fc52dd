import { TypeCompiler, type TypeCheck } from '@sinclair/typebox/compiler';
import type { TSchema } from '@sinclair/typebox';
import { EVENT_PAYLOADS, isEventType, type EventType } from '../../src/shared/events.js';

const checkers = new Map<EventType, TypeCheck<TSchema>>();

/**
 * Why an event read back from the server does not have the payload src/shared/events.ts gives its
 * type, or undefined when it does. The writers are type-checked against that union; this checks
 * the events they really wrote (e2e tests read every event through it).
 */
export function eventShapeProblem(e: { type: string; data: unknown }): string | undefined {
  if (!isEventType(e.type)) return `unknown event type ${e.type}`;
  let check = checkers.get(e.type);
  if (!check) checkers.set(e.type, (check = TypeCompiler.Compile(EVENT_PAYLOADS[e.type] as TSchema)));
  const first = check.Errors(e.data).First();
  return first
    ? `${e.type} ${first.path || '/'}: ${first.message} (${JSON.stringify(e.data).slice(0, 300)})`
    : undefined;
}
