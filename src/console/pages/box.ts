import { useState } from 'preact/hooks';
import { api } from '../api.js';
import { html } from '../html.js';
import { MASK, instanceHref, when } from '../parts/format.js';
import { useResource } from '../parts/hooks.js';
import { boxKind, type BoxDoc } from './boxes.js';

type Variable = NonNullable<BoxDoc['variables']>[number];

const DEPLOY_SCHEMA = 'http://elasticbox.net/schemas/deploy-instance-request';
/** Types the form offers an input for; the others (Box, Binding, File) keep the box's value. */
const EDITABLE = new Set(['Text', 'Number', 'Port', 'Password', 'Options']);

function VariableInput(props: { v: Variable }) {
  const { v } = props;
  const id = `var-${v.name}`;
  const common = { id, name: `var:${v.name}`, required: v.required === true };
  const value = v.value === undefined || v.value === null ? '' : String(v.value);
  let input;
  if (v.type === 'Options') {
    const options = String(v.options ?? '')
      .split(',')
      .map((o) => o.trim())
      .filter(Boolean);
    // Uncontrolled (defaults only): a re-render, e.g. after the server refused a value, keeps what
    // the user chose or typed.
    input = html`<select ...${common}>
      ${options.map((o) => html`<option value=${o} defaultSelected=${o === value}>${o}</option>`)}
    </select>`;
  } else if (v.type === 'Password') {
    input = html`<input ...${common} type="password" autocomplete="new-password" placeholder="unchanged" />`;
  } else {
    // Number and Port are typed in as text: the server's own validation answers a bad value.
    const inputmode = v.type === 'Number' || v.type === 'Port' ? 'numeric' : undefined;
    input = html`<input ...${common} type="text" inputmode=${inputmode} defaultValue=${value} />`;
  }
  return html`<div class="field">
    <label for=${id}>${v.name} <span class="muted">(${v.type}${v.required ? ', required' : ''})</span></label>
    ${input}
  </div>`;
}

function DeployForm(props: { box: BoxDoc }) {
  const [error, setError] = useState<string | undefined>(undefined);
  const [busy, setBusy] = useState(false);
  const editable = (props.box.variables ?? []).filter((v) => EDITABLE.has(v.type));
  const submit = async (e: Event) => {
    e.preventDefault();
    const form = new FormData(e.target as HTMLFormElement);
    const variables = editable
      .map((v) => ({ name: v.name, type: v.type, value: String(form.get(`var:${v.name}`) ?? '') }))
      .filter((v) => !(v.type === 'Password' && v.value === ''));
    const tags = String(form.get('tags') ?? '')
      .split(',')
      .map((t) => t.trim())
      .filter(Boolean);
    setBusy(true);
    setError(undefined);
    try {
      const doc = await api<{ id: string; name: string }>('POST', '/services/instances', {
        schema: DEPLOY_SCHEMA,
        name: String(form.get('name')),
        box: { id: props.box.id, variables },
        instance_tags: tags,
        automatic_updates: 'off',
      });
      location.hash = instanceHref(doc);
    } catch (err) {
      setError((err as Error).message);
    } finally {
      setBusy(false);
    }
  };
  return html`<form class="deploy" onSubmit=${submit} aria-labelledby="h-deploy">
    <h2 id="h-deploy">Deploy</h2>
    <div class="field">
      <label for="deploy-name">Instance name</label>
      <input id="deploy-name" name="name" type="text" required />
    </div>
    <div class="field">
      <label for="deploy-tags">Tags <span class="muted">(comma-separated)</span></label>
      <input id="deploy-tags" name="tags" type="text" />
    </div>
    ${editable.map((v) => html`<${VariableInput} key=${v.name} v=${v} />`)}
    ${error && html`<p class="error" role="alert" id="deploy-error">${error}</p>`}
    <button type="submit" disabled=${busy}>Deploy</button>
  </form>`;
}

export function Box(props: { id: string }) {
  const path = `/services/boxes/${encodeURIComponent(props.id)}`;
  const { data: box, error } = useResource<BoxDoc>(path);
  const { data: versions } = useResource<BoxDoc[]>(`${path}/versions`);
  if (error)
    return html`<main id="main">
      <h1>Box</h1>
      <p class="error" role="alert">${error}</p>
    </main>`;
  if (!box)
    return html`<main id="main">
      <h1>Box</h1>
      <p>Loading…</p>
    </main>`;
  const deployable = boxKind(box.schema) !== 'policy';
  return html`<main id="main">
    <h1>${box.name}</h1>
    <p>${boxKind(box.schema)} box · owner ${box.owner} · updated ${when(box.updated)}</p>
    ${box.description && html`<p>${box.description}</p>`}
    <section aria-labelledby="h-bvars">
      <h2 id="h-bvars">Variables</h2>
      <table class="list">
        <thead>
          <tr>
            <th scope="col">Name</th>
            <th scope="col">Type</th>
            <th scope="col">Default</th>
          </tr>
        </thead>
        <tbody>
          ${(box.variables ?? []).map(
            (v) =>
              html`<tr key=${v.name}>
                <td>${v.name}</td>
                <td>${v.type}</td>
                <td>${v.type === 'Password' ? MASK : String(v.value ?? '')}</td>
              </tr>`,
          )}
        </tbody>
      </table>
    </section>
    <section aria-labelledby="h-events">
      <h2 id="h-events">Event scripts</h2>
      <ul>
        ${Object.keys(box.events ?? {}).map((e) => html`<li key=${e}>${e}</li>`)}
      </ul>
    </section>
    <section aria-labelledby="h-versions">
      <h2 id="h-versions">Versions</h2>
      ${versions && versions.length === 0 && html`<p>No versions yet.</p>`}
      <ul>
        ${(versions ?? []).map(
          (v) =>
            html`<li key=${v.id}>
              ${String(v.version?.number ? JSON.stringify(v.version.number) : v.id)} ${v.version?.description ?? ''}
            </li>`,
        )}
      </ul>
    </section>
    ${deployable && html`<${DeployForm} box=${box} />`}
  </main>`;
}
