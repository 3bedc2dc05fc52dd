import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { currentSession, signOut, whenSignedOut, type Session } from './api.js';
import { html } from './html.js';
import { Alerts } from './pages/alerts.js';
import { Box } from './pages/box.js';
import { Boxes } from './pages/boxes.js';
import { Checks } from './pages/checks.js';
import { Events } from './pages/events.js';
import { Instance } from './pages/instance.js';
import { Instances } from './pages/instances.js';
import { SignIn } from './pages/sign-in.js';
import './console.css';

/** Hash routes (CAM's form: `#/instances/{id}/{name}`). */
function page(hash: string) {
  const parts = hash.replace(/^#\/?/, '').split('/').map(decodeURIComponent);
  const [section = 'instances', id] = parts;
  if (section === 'instances' && id) return { title: 'Instance', view: html`<${Instance} key=${id} id=${id} />` };
  if (section === 'boxes' && id) return { title: 'Box', view: html`<${Box} key=${id} id=${id} />` };
  if (section === 'boxes') return { title: 'Boxes', view: html`<${Boxes} />` };
  if (section === 'events') return { title: 'Events', view: html`<${Events} />` };
  if (section === 'alerts') return { title: 'Alerts', view: html`<${Alerts} />` };
  if (section === 'checks') return { title: 'Checks', view: html`<${Checks} />` };
  return { title: 'Instances', view: html`<${Instances} />` };
}

const NAV = [
  ['#/instances', 'Instances'],
  ['#/boxes', 'Boxes'],
  ['#/events', 'Events'],
  ['#/alerts', 'Alerts'],
  ['#/checks', 'Checks'],
] as const;

function App() {
  const [session, setSession] = useState<Session | null | undefined>(undefined);
  const [hash, setHash] = useState(location.hash);
  useEffect(() => {
    const onHash = () => setHash(location.hash);
    window.addEventListener('hashchange', onHash);
    whenSignedOut(() => setSession(null));
    currentSession().then(
      (s) => setSession(s ?? null),
      () => setSession(null),
    );
    return () => window.removeEventListener('hashchange', onHash);
  }, []);
  const current = page(hash);
  useEffect(() => {
    document.title = `${current.title} · ebcli console`;
    document.getElementById('main')?.focus();
  }, [current.title, hash]);
  if (session === undefined) return html`<main id="main"><p>Loading…</p></main>`;
  if (session === null) return html`<${SignIn} onSignedIn=${setSession} />`;
  const section = `#/${hash.replace(/^#\/?/, '').split('/')[0] || 'instances'}`;
  return html`<a
      class="skip"
      href="#main"
      onClick=${(e: Event) => (e.preventDefault(), document.getElementById('main')?.focus())}
      >Skip to content</a
    >
    <header>
      <nav aria-label="Console">
        <span class="brand">ebcli console</span>
        ${NAV.map(
          ([href, label]) => html`<a href=${href} aria-current=${section === href ? 'page' : undefined}>${label}</a>`,
        )}
      </nav>
      <div class="who">
        <span>${session.email}</span>
        <button type="button" onClick=${async () => (await signOut(), setSession(null))}>Sign out</button>
      </div>
    </header>
    ${current.view}`;
}

render(html`<${App} />`, document.getElementById('app')!);
