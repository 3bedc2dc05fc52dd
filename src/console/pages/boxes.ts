import { html } from '../html.js';
import { when } from '../parts/format.js';
import { useResource } from '../parts/hooks.js';

export interface BoxDoc {
  id: string;
  name: string;
  description?: string;
  schema: string;
  owner: string;
  updated: string;
  variables?: { name: string; type: string; value?: unknown; options?: string; required?: boolean }[];
  events?: Record<string, { url: string }>;
  version?: { number?: any; description?: string } | null;
}

export const boxKind = (schema: string) => schema.split('/').pop() ?? schema;

export function Boxes() {
  const { data, error } = useResource<BoxDoc[]>('/services/boxes');
  return html`<main id="main">
    <h1>Boxes</h1>
    ${error && html`<p class="error" role="alert">${error}</p>`} ${!data && !error && html`<p>Loading…</p>`}
    ${
      data &&
      html`<table class="list" aria-label="Boxes">
        <thead>
          <tr>
            <th scope="col">Name</th>
            <th scope="col">Kind</th>
            <th scope="col">Owner</th>
            <th scope="col">Updated</th>
          </tr>
        </thead>
        <tbody>
          ${data.map(
            (b) =>
              html`<tr key=${b.id}>
                <td><a href=${`#/boxes/${encodeURIComponent(b.id)}`}>${b.name}</a></td>
                <td>${boxKind(b.schema)}</td>
                <td>${b.owner}</td>
                <td><time>${when(b.updated)}</time></td>
              </tr>`,
          )}
        </tbody>
      </table>`
    }
  </main>`;
}
