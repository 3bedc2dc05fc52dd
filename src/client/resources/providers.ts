import type { Provider } from '../types.js';
import { Resource, servicePath } from './base.js';

/** Provider `type` → document `schema` (cam-api.md §2.5). */
export const PROVIDER_SCHEMAS: Readonly<Record<string, string>> = {
  'Amazon Web Services': 'aws/provider',
  'Amazon Web Services GovCloud': 'aws/provider',
  Openstack: 'openstack/provider',
  Rackspace: 'openstack/provider',
  'VMware vSphere': 'vsphere/provider',
  'VMware vCloud Director': 'vcloud/provider',
  'Google Compute': 'gce/provider',
  'Microsoft Azure': 'azure/provider',
  Cloudstack: 'cloudstack/provider',
  SoftLayer: 'softlayer/provider',
  'Test Provider': 'test/provider',
  'Existing Machines': 'existing/provider',
  SSH: 'ssh/provider',
};

export class Providers extends Resource {
  list(): Promise<Provider[]> {
    return this.get(servicePath('providers'));
  }

  retrieve(id: string): Promise<Provider> {
    return this.get(servicePath('providers', id));
  }

  /** Answers 202 with `state: "initializing"`. */
  create(doc: Partial<Provider> & { name: string; type: string; owner: string }): Promise<Provider> {
    const schema = `http://elasticbox.net/schemas/${PROVIDER_SCHEMAS[doc.type] ?? 'test/provider'}`;
    return this.send('POST', servicePath('providers'), { body: { schema, ...doc } });
  }

  update(id: string, doc: Partial<Provider>): Promise<Provider> {
    return this.send('PUT', servicePath('providers', id), { body: doc });
  }

  delete(id: string): Promise<Provider | undefined> {
    return this.send('DELETE', servicePath('providers', id));
  }

  sync(id: string): Promise<Provider | undefined> {
    return this.send('PUT', servicePath('providers', id, 'sync'));
  }

  logs(id: string): Promise<Record<string, unknown>[]> {
    return this.get(servicePath('providers', id, 'logs'));
  }
}
