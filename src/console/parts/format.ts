/** CAM timestamps are `YYYY-MM-DD HH:MM:SS.ffffff` in UTC. */
export function when(ts: string | null | undefined): string {
  if (!ts) return '';
  return ts.replace(/\.\d+$/, '').replace(' ', ' ') + ' UTC';
}

/** The link of an instance's page: CAM's `/#/instances/{id}/{name}`. */
export const instanceHref = (i: { id: string; name: string }) =>
  `#/instances/${encodeURIComponent(i.id)}/${encodeURIComponent(i.name)}`;

export const MASK = '••••••••';
