/** CAM timestamps are `YYYY-MM-DD HH:MM:SS.ffffff` in UTC; ISO ones (`…T…Z`) read the same. */
export function when(ts: string | null | undefined): string {
  if (!ts) return '';
  return (
    ts
      .replace(/Z$/, '')
      .replace(/\.\d+$/, '')
      .replace('T', ' ') + ' UTC'
  );
}

/** The link of an instance's page: CAM's `/#/instances/{id}/{name}`. */
export const instanceHref = (i: { id: string; name: string }) =>
  `#/instances/${encodeURIComponent(i.id)}/${encodeURIComponent(i.name)}`;

export const MASK = '••••••••';
