/**
 * The campaigns' REST client: calls spread over the replicas in turn, one TLS context trusting
 * their shared CA. A GET that meets a dead replica (refused, reset) is tried on the next one; a
 * POST is not retried here: its outcome is unknown (`LostAnswer`), and the campaign records it in
 * the ledger as `info` before looking it up by its business key.
 */
import { Agent, request } from 'undici';

export class LostAnswer extends Error {
  override readonly name = 'LostAnswer';
}

export interface ApiResponse {
  status: number;
  body: any;
  text: string;
}

export interface CampaignApi {
  call(method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<ApiResponse>;
  close(): Promise<void>;
}

export function campaignApi(urls: () => string[], ca: string, token: string): CampaignApi {
  const dispatcher = new Agent({ connect: { ca }, connections: 16, headersTimeout: 60_000, bodyTimeout: 60_000 });
  let next = 0;
  const once = async (url: string, method: string, path: string, body: unknown, headers: Record<string, string>) => {
    // A string goes as it is (an uploaded script, its content type given); anything else as JSON.
    const raw = typeof body === 'string';
    const res = await request(`${url}${path}`, {
      method: method as 'GET',
      headers: {
        'elasticbox-token': token,
        ...(body === undefined || raw ? {} : { 'content-type': 'application/json' }),
        ...headers,
      },
      body: body === undefined || raw ? (body as string | undefined) : JSON.stringify(body),
      dispatcher,
    });
    const text = await res.body.text();
    const json = String(res.headers['content-type'] ?? '').includes('json') && text ? JSON.parse(text) : text;
    return { status: res.statusCode, body: json, text };
  };
  return {
    async call(method, path, body, headers = {}) {
      const all = urls();
      for (let attempt = 0; ; attempt++) {
        const url = all[next++ % all.length]!;
        try {
          return await once(url, method, path, body, headers);
        } catch (err) {
          if (method !== 'GET') throw new LostAnswer(`${method} ${path} via ${url}: ${(err as Error).message}`);
          if (attempt >= Math.max(10, all.length * 3)) throw err;
          await new Promise((r) => setTimeout(r, 200));
        }
      }
    },
    close: () => dispatcher.close(),
  };
}
