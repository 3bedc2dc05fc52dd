import { readFileSync } from 'node:fs';
import { BaseCommand } from '../cli/base-command.js';
import { apiChecks, caCheck, proxyCheck, websocketCheck, type Check } from '../cli/doctor-checks.js';
import { OperationFailedError } from '../cli/errors.js';

export default class Doctor extends BaseCommand<typeof Doctor> {
  static override summary = 'Check the endpoint, TLS/CA, proxy, websocket upgrade, token and API release';
  static override description = 'Exits 1 when a check fails.';

  async run(): Promise<{ checks: Check[]; ok: boolean }> {
    const client = await this.client();
    const s = this.settings();
    const url = new URL(client.baseUrl);
    const checks: Check[] = [
      { name: 'profile', status: s.missingProfile ? 'fail' : 'ok', detail: `${s.profile.value} (${s.profile.source})` },
      { name: 'URL', status: 'ok', detail: `${client.baseUrl} (${s.url.from ?? s.url.source})` },
      caCheck(s.caFile.value, s.caFile.from),
      proxyCheck(url),
      ...(await apiChecks(client, s.token.value ? (s.token.from ?? s.token.source) : undefined)),
    ];
    let ca: string | undefined;
    try {
      ca = s.caFile.value ? readFileSync(s.caFile.value, 'utf8') : undefined;
    } catch {
      ca = undefined;
    }
    checks.push(await websocketCheck(url, s.token.value, ca));
    const style = await this.style();
    const paint = { ok: style.green, warn: style.yellow, fail: style.red, skip: style.dim };
    const line = (c: Check) =>
      `${paint[c.status](c.status.toUpperCase().padEnd(4))}  ${c.name.padEnd(17)}  ${c.detail}\n`;
    this.out(checks.map(line).join(''));
    const failed = checks.filter((c) => c.status === 'fail');
    if (failed.length)
      throw new OperationFailedError(
        `${failed.length} check(s) failed: ${failed.map((c) => c.name).join(', ')}`,
        checks,
      );
    return { checks, ok: true };
  }
}
