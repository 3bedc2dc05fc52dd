/** Names of the CAM box format that the box folder tools and the server both hold to (cam-api.md §3, §4.2). */

export const SCHEMA_BASE = 'http://elasticbox.net/schemas/';

/** Drops a leading date segment (`…/schemas/2014-10-09/x` → `x`) so old clients' schemas match. */
export function schemaName(url: string): string | undefined {
  if (!url.startsWith(SCHEMA_BASE)) return undefined;
  return url.slice(SCHEMA_BASE.length).replace(/^\d{4}-\d{2}-\d{2}\//, '');
}

/** The ten events a box stores (cam-api.md §4.2), in lifecycle order. */
/** Box types, by the last segment of their schema (`…/schemas/boxes/<type>`). */
export const BOX_TYPES = ['script', 'policy', 'docker', 'cloudformation', 'application'] as const;
export type BoxType = (typeof BOX_TYPES)[number];

export const CANONICAL_EVENTS = [
  'pre_install',
  'install',
  'pre_configure',
  'configure',
  'pre_start',
  'start',
  'stop',
  'post_stop',
  'dispose',
  'post_dispose',
] as const;

/** Older event names that are still stored and run next to the box's main event (cam-api.md §9 #5). */
export const ALIAS_EVENTS = ['pre_stop', 'pre_dispose', 'post_install', 'post_configure', 'post_start'] as const;

export type EventName = (typeof CANONICAL_EVENTS)[number] | (typeof ALIAS_EVENTS)[number];
export const EVENT_NAMES: readonly EventName[] = [...CANONICAL_EVENTS, ...ALIAS_EVENTS];

/** Names ebcli 4.0 exported that are stored under their canonical event. */
export const RENAMED_EVENTS: Readonly<Record<string, EventName>> = {
  terminate: 'dispose',
  post_terminate: 'post_dispose',
};

export const VARIABLE_TYPES = ['Text', 'Password', 'Number', 'Port', 'Options', 'File', 'Box', 'Binding'] as const;
export type VariableType = (typeof VARIABLE_TYPES)[number];

/** The keys a box variable may have (cam-api.md §3.3), in the order box.yaml writes them. */
export const VARIABLE_KEYS = [
  'name',
  'type',
  'value',
  'required',
  'visibility',
  'scope',
  'options',
  'automatic_updates',
  'tags',
] as const;

export const AUTOMATIC_UPDATES = ['off', 'major', 'minor', 'patch'] as const;
export type AutomaticUpdates = (typeof AUTOMATIC_UPDATES)[number];
