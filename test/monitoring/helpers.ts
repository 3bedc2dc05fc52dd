import type { TestServer } from '../helpers/server.js';

/** Posts one check result over the MSA API and returns the reply body (asserting 202). */
export async function postResult(
  t: TestServer,
  instance: string,
  check: string,
  status: number,
  output: string,
  extra: Record<string, unknown> = {},
): Promise<any> {
  const res = await t.call('POST', '/services/msa/results', { body: { instance, check, status, output, ...extra } });
  if (res.status !== 202) throw new Error(`result refused: ${res.status} ${res.text}`);
  return res.body;
}

/** The workspace's stream events of the given types, oldest first (JSON history). */
export async function eventsOf(t: TestServer, types: string[], workspace = 'admin'): Promise<any[]> {
  const res = await t.call('GET', `/services/events?workspace=${workspace}&since=0&type=${types.join(',')}`);
  if (res.status !== 200) throw new Error(`events: ${res.status} ${res.text}`);
  return res.body.events;
}

export async function createCheck(t: TestServer, body: Record<string, unknown>, token?: string): Promise<any> {
  const res = await t.call('POST', '/services/msa/checks', {
    body: { interval: 10, ...body },
    ...(token ? { token } : {}),
  });
  if (res.status !== 201) throw new Error(`check refused: ${res.status} ${res.text}`);
  return res.body;
}
