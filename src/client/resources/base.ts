import type { HttpClient, RequestOptions } from '../http.js';

/** `/services/a/{id}/b` with every parameter percent-encoded. */
export function servicePath(...segments: string[]): string {
  return `/services/${segments.map((s) => encodeURIComponent(s)).join('/')}`;
}

/** An API resource: its methods build paths from encoded parameters and return the response data. */
export abstract class Resource {
  constructor(protected readonly http: HttpClient) {}

  protected async get<T>(path: string, opts?: RequestOptions): Promise<T> {
    return (await this.http.request<T>('GET', path, opts)).data;
  }

  protected async send<T>(method: 'POST' | 'PUT' | 'DELETE', path: string, opts?: RequestOptions): Promise<T> {
    return (await this.http.request<T>(method, path, opts)).data;
  }
}
