import type { AuthUser } from '../context.js';
import { schemaName, schemaUrl } from '../store/docs.js';
import { DEPLOY_REQUEST, type DeployExtra } from './deploy-request.js';
import { badRequest, forbidden } from '../http/errors.js';
import { canReadBox } from '../auth/resource-access.js';
import type { DeployRequestBody, VariableOverrideBody } from './schemas.js';
import { getBox, listVersions, type BoxDoc } from '../boxes/store.js';
import type { Db } from '../store/db.js';
import { applicationInstanceName } from '../../shared/ids.js';

export const DEPLOY_APPLICATION = 'deploy/application';

export const isApplicationRequest = (schema: string): boolean => schemaName(schema) === DEPLOY_APPLICATION;

/** One service of an application box (cam-api.md §3.1). */
interface Service {
  name: string;
  box: { id: string; latest?: boolean; variables?: VariableOverrideBody[] };
  policy?: { requirements?: string[] };
  automatic_updates?: DeployRequestBody['automatic_updates'];
  tags?: string[];
}

/** One deploy per service: the deploy-instance-request it amounts to and what it adds. */
export interface ServiceDeploy {
  request: DeployRequestBody;
  extra: DeployExtra;
}

/** The box a service deploys: the one named, or with `latest` the newest version of its box. */
async function serviceBox(db: Db, service: Service): Promise<string> {
  if (!service.box.latest) return service.box.id;
  const named = await getBox(db, service.box.id);
  const root = named?.version?.box ?? service.box.id;
  return (await listVersions(db, root))[0]?.id ?? service.box.id;
}

/**
 * A `…/deploy/application` request (cam-api.md §2.4): every service of the application box becomes
 * one deploy-instance-request, named `<name>-<service>`, with the service's box, variables, tags and
 * policy requirements plus the request's owner, tags, requirements and lease.
 */
export async function applicationDeploys(db: Db, user: AuthUser, body: DeployRequestBody): Promise<ServiceDeploy[]> {
  const app: BoxDoc | undefined = await getBox(db, body.box.id);
  if (!app) throw badRequest(`box ${body.box.id} not found`);
  if (!(await canReadBox(db, user, app))) throw forbidden(`You have no access to box ${body.box.id}`);
  if (schemaName(app.schema) !== 'boxes/application') {
    throw badRequest(
      `box ${app.name} (${app.id}) is not an application box: deploy it with ${schemaUrl(DEPLOY_REQUEST)}`,
    );
  }
  const services = (app.services as Service[] | undefined) ?? [];
  if (!services.length) throw badRequest(`application box ${app.name} (${app.id}) has no services`);
  const deploys: ServiceDeploy[] = [];
  for (const service of services) {
    deploys.push({
      request: {
        schema: schemaUrl(DEPLOY_REQUEST),
        name: applicationInstanceName(body.name, service.name),
        ...(body.owner ? { owner: body.owner } : {}),
        box: { id: await serviceBox(db, service), variables: service.box.variables ?? [] },
        instance_tags: [...(body.instance_tags ?? []), ...(service.tags ?? [])],
        automatic_updates: service.automatic_updates ?? body.automatic_updates ?? 'off',
        ...(body.lease ? { lease: body.lease } : {}),
      },
      extra: {
        claims: [...(body.requirements ?? []), ...(service.policy?.requirements ?? [])],
        application: { id: app.id, name: app.name },
      },
    });
  }
  return deploys;
}
