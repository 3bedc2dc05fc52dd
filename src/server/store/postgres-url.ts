/** Whether a store location names PostgreSQL (the store module loads `pg` only then). */
export function isPostgresUrl(location: string): boolean {
  return /^postgres(ql)?:\/\//i.test(location);
}
