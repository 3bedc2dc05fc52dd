import type { Enrollment, RegisteredMachine } from '../../client/types.js';
import type { Style } from './style.js';
import type { Column } from './table.js';

const presenceColor = (s: Style, state: string) => (state === 'online' ? s.green(state) : s.dim(state));

export const machineColumns: Column<RegisteredMachine>[] = [
  { header: 'ID', get: (m) => m.id },
  { header: 'HOSTNAME', get: (m) => m.hostname },
  { header: 'STATE', get: (m) => m.state, color: presenceColor },
  { header: 'LAST SEEN', get: (m) => m.last_seen ?? 'never' },
  { header: 'CLAIMS', get: (m) => m.claims.join(',') },
  { header: 'INSTANCE', get: (m) => m.instance ?? '' },
  { header: 'OWNER', get: (m) => m.owner },
];

/** What `machines register` prints: the one-liner first (scripts take the first line), then how to use it. */
export function renderEnrollment(e: Enrollment): string {
  const claims = e.claims.length ? `, claims ${e.claims.join(',')}` : '';
  return [
    e.command,
    '',
    `Run the command above on the host (as root; it uses sudo). One-time token, valid until ${e.expires} UTC${claims}.`,
    'Without root, this installs the agent for the current user instead:',
    `  ${e.user_command}`,
    'The host needs curl and Node.js 18 or later. It appears in `ebcli machines list` once its agent connects.',
    '',
  ].join('\n');
}

/** What `machines register --ssh` prints: the machine id first (scripts take the first line). */
export function renderSshRegistration(m: RegisteredMachine): string {
  const claims = m.claims.length ? `, claims ${m.claims.join(',')}` : '';
  return `${m.id}\nRegistered ${m.hostname} as ${m.id} (${m.state}${claims}): deploys of an Existing Machines policy can take it.\n`;
}
