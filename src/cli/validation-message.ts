/** What the path parameters of the CAM routes name (the *Params schemas of each src/server/<domain>/schemas.ts). */
const PATH_PARAMS: Record<string, string> = {
  inst: 'instance id',
  id: 'id',
  prov: 'provider id',
  ws: 'workspace id',
  blob_id: 'blob id',
};

const WHERE: Record<string, string> = { params: 'path', querystring: 'query', body: 'request body', headers: 'header' };

/**
 * Turns the server's request-validation text (`params/inst must match pattern "^i-…$"`, written by
 * src/server/app.ts) into words for people, or `undefined` when `message` is not one of those.
 */
export function readableValidation(message: string): string | undefined {
  const m = /^(params|querystring|body|headers)(\/\S*)? (.+)$/s.exec(message);
  if (!m) return undefined;
  const [, part, path = '', rest = ''] = m;
  const field = path.slice(1).replaceAll('/', '.');
  const subject =
    part === 'params'
      ? `the ${PATH_PARAMS[field] ?? field}`
      : field
        ? `${part === 'body' ? 'field' : `${WHERE[part!]} parameter`} "${field}"`
        : `the ${WHERE[part!]}`;
  const what = rest
    .replace(/^must match pattern .*$/s, 'is not in the expected format')
    .replace(/^must NOT have more than (\d+) characters$/, 'is longer than $1 characters')
    .replace(/^must NOT have fewer than (\d+) characters$/, 'is shorter than $1 characters')
    .replace(/^must have required property '([^']+)'$/, 'lacks "$1"')
    .replace(/^must be (\w+)$/, 'must be a $1');
  return `the server refused the request: ${subject} ${what}`;
}
