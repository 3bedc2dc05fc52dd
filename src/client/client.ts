import { IncompatibleReleaseError } from './errors.js';
import { compatibleRelease } from '../shared/release.js';
import { CLIENT_RELEASE, HttpClient, type ClientOptions } from './http.js';
import { Blobs } from './resources/blobs.js';
import { Boxes } from './resources/boxes.js';
import { Instances } from './resources/instances.js';
import { Machines } from './resources/machines.js';
import { Msa } from './resources/msa.js';
import { Providers } from './resources/providers.js';
import { Profile, Tokens } from './resources/tokens.js';
import { Users } from './resources/users.js';
import { Workspaces } from './resources/workspaces.js';
import type { Workspace } from './types.js';

/**
 * Typed client of the CAM 4.0 API. Resources: `workspaces`, `boxes`, `blobs`, `instances`,
 * `providers`, `machines`, `tokens`, `profile`, `users`. Throws typed errors (see `errors.ts`); never prints or exits.
 *
 * @example
 * const client = new EbClient({ url: 'https://127.0.0.1:8443', token, caFile });
 * const instances = await client.instances.list();
 */
export class EbClient {
  readonly http: HttpClient;
  readonly workspaces: Workspaces;
  readonly boxes: Boxes;
  readonly blobs: Blobs;
  readonly instances: Instances;
  readonly providers: Providers;
  readonly machines: Machines;
  readonly tokens: Tokens;
  readonly profile: Profile;
  /** Users of the organization (admin only). */
  readonly users: Users;
  /** Monitoring (MSA): checks, results, metrics, alerts. */
  readonly msa: Msa;

  constructor(opts: ClientOptions) {
    this.http = new HttpClient(opts);
    this.workspaces = new Workspaces(this.http);
    this.boxes = new Boxes(this.http);
    this.blobs = new Blobs(this.http);
    this.instances = new Instances(this.http);
    this.providers = new Providers(this.http);
    this.machines = new Machines(this.http);
    this.tokens = new Tokens(this.http);
    this.profile = new Profile(this.http);
    this.users = new Users(this.http);
    this.msa = new Msa(this.http);
  }

  get baseUrl(): string {
    return this.http.baseUrl;
  }

  /**
   * Checks a token the way ebcli `login` does: `GET /services/workspaces`, then the
   * `ElasticBox-Release` header (a missing header counts as 4.0).
   */
  async verify(): Promise<{ release: string; workspaces: Workspace[] }> {
    const workspaces = await this.workspaces.list();
    const release = this.http.lastRelease ?? CLIENT_RELEASE;
    if (!compatibleRelease(release)) throw new IncompatibleReleaseError(release);
    return { release, workspaces };
  }

  /** Releases sockets held by the dispatcher the client built. */
  close(): Promise<void> {
    return this.http.close();
  }
}
