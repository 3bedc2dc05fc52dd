import type { TestServer } from './server.js';

export const SCHEMAS = 'http://elasticbox.net/schemas/';
export const SCRIPT = `${SCHEMAS}boxes/script`;

/** Creates a box through the API and returns its document; fails the test on any other status. */
export async function createBox(t: TestServer, body: Record<string, unknown>, token?: string): Promise<any> {
  const res = await t.call('POST', '/services/boxes', { body, token });
  if (res.status !== 200) throw new Error(`POST /services/boxes answered ${res.status}: ${res.text}`);
  return res.body;
}

/** Uploads a text blob through the raw upload endpoint and returns the upload reply. */
export async function uploadText(t: TestServer, name: string, text: string, token?: string): Promise<any> {
  const res = await t.call('POST', `/services/blobs/upload/${encodeURIComponent(name)}`, {
    raw: text,
    token,
    headers: { 'content-type': 'text/x-shellscript' },
  });
  if (res.status !== 200) throw new Error(`upload answered ${res.status}: ${res.text}`);
  return res.body;
}

/** A variable in the shape CAM stores. */
export const variable = (name: string, type: string, value: unknown, extra: Record<string, unknown> = {}) => ({
  name,
  type,
  value,
  ...extra,
});
