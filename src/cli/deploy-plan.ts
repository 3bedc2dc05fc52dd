import { statSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { EbClient } from '../client/client.js';
import { findBox, findPolicy, isBoxId, toDeployVariables, type VariableOverride } from '../client/deploy.js';
import type { Box, DeployRequest } from '../client/types.js';
import { fillRequired } from './deploy-prompts.js';
import { UsageError } from './errors.js';
import { MAX_INSTANCE_NAME } from '../shared/ids.js';

export interface DeployOptions {
  /**
   * The workspace to deploy into. Without it, `defaultWorkspace` names the caller's default where a
   * plan needs that name (box names, claims, folders), and a deploy of a box id leaves it to the
   * server (a request without `owner` goes to the caller's own workspace: one request fewer).
   */
  workspace?: string;
  defaultWorkspace?: () => Promise<string>;
  name?: string;
  variables: VariableOverride[];
  tags: string[];
  policy?: string;
  claims: string[];
  note: (message: string) => void;
  /**
   * Plan only (`apply --dry-run`): a box folder is not imported but read into a virtual stack
   * (`local:` ids, `md5:` file URLs) kept in `virtual` under its root id; nothing is uploaded.
   */
  dryRun?: boolean;
  virtual?: Map<string, Box[]>;
}

export interface PlannedDeploy {
  name: string;
  box: Box;
  request: DeployRequest;
  /** An application box: the request deploys each of its services (`…/deploy/application`). */
  application?: boolean;
}

const isApplicationBox = (box: Box): boolean => (box.schema ?? '').endsWith('/boxes/application');

type InWorkspace = DeployOptions & { workspace: string };

async function inWorkspace(opts: DeployOptions): Promise<InWorkspace> {
  if (opts.workspace) return { ...opts, workspace: opts.workspace };
  if (!opts.defaultWorkspace) throw new Error('planDeploys: no workspace and no defaultWorkspace');
  return { ...opts, workspace: await opts.defaultWorkspace() };
}

/** An application box deploys as a whole: its services carry their own variables and policies. */
function applicationRequest(box: Box, opts: DeployOptions): PlannedDeploy {
  if (opts.variables.length)
    throw new UsageError(`-v does not apply to application box ${box.name}: its services set their variables`);
  if (opts.policy) throw new UsageError(`--policy does not apply to application box ${box.name}: use --claim`);
  const name = opts.name ?? box.name;
  const request: DeployRequest = {
    ...(opts.workspace ? { owner: opts.workspace } : {}),
    name,
    box: { id: box.id },
    instance_tags: [...new Set(opts.tags)],
    ...(opts.claims.length ? { requirements: opts.claims } : {}),
  };
  return { name, box, request, application: true };
}

async function request(
  client: EbClient,
  box: Box,
  name: string,
  variables: VariableOverride[],
  tags: string[],
  opts: DeployOptions,
  knownStack?: Box[],
): Promise<PlannedDeploy> {
  let policyId = opts.policy;
  if (!policyId && opts.claims.length) {
    const { workspace } = await inWorkspace(opts);
    policyId = (await findPolicy(client, workspace, opts.claims, box.requirements ?? [])).id;
  }
  const stack = knownStack ?? opts.virtual?.get(box.id);
  const req: DeployRequest = {
    ...(opts.workspace ? { owner: opts.workspace } : {}),
    name: name.slice(0, MAX_INSTANCE_NAME),
    box: {
      id: box.id,
      variables: await toDeployVariables(client, box.id, await fillRequired(client, box, variables, stack), {
        stack,
        upload: !opts.dryRun,
      }),
    },
    instance_tags: [...new Set(tags)],
    ...(policyId ? { policy_box: { id: policyId, variables: [] } } : {}),
  };
  return { name: req.name, box, request: req };
}

/** Imports a box folder (box-folder library) and returns the box to deploy: the latest version, else the draft. */
async function importFolder(client: EbClient, dir: string, opts: InWorkspace): Promise<Box> {
  if (opts.dryRun) {
    const { virtualStack } = await import('../client/box-folder/index.js');
    const stack = (await virtualStack(dir)) as unknown as Box[];
    opts.virtual?.set(stack[0]!.id, stack);
    return stack[0]!;
  }
  const [{ importBoxTree }, { boxImportApi }] = await Promise.all([
    import('../client/box-folder/index.js'),
    import('../client/box-folder-api.js'),
  ]);
  opts.note(`Importing box folder ${dir} into workspace ${opts.workspace}…`);
  const result = await importBoxTree(boxImportApi(client), dir, { workspace: opts.workspace });
  const root = result.boxes.at(-1);
  opts.note(`Imported ${result.boxes.length} box(es); ${root?.name ?? result.id} is ${root?.action ?? 'ready'}.`);
  // An unchanged folder deploys the latest version (the draft holds the same content).
  const latest = root?.versionId ?? (await client.boxes.versions(result.id).catch(() => [] as Box[]))[0]?.id;
  return client.boxes.retrieve(latest ?? result.id);
}

async function isBoxFolder(dir: string): Promise<boolean> {
  return stat(join(dir, 'box.yaml')).then(
    (s) => s.isFile(),
    () => false,
  );
}

/** Deploys described by an application document (cam-api.md §6.2), in document order. */
async function fromApplication(client: EbClient, file: string, opts: InWorkspace): Promise<PlannedDeploy[]> {
  const { parseApplicationDocument } = await import('../client/box-folder/index.js');
  const entries = parseApplicationDocument(await readFile(file, 'utf8'));
  const planned: PlannedDeploy[] = [];
  for (const entry of entries) {
    const ref = entry.box.owner ? `${entry.box.owner}/${entry.box.name}` : entry.box.name;
    // A box whose folder sits beside the document is imported from it first: an unchanged folder
    // changes nothing, and a box that an interrupted run created only in part is completed.
    const folder = join(dirname(file), entry.box.name);
    const box =
      !entry.box.owner && (await isBoxFolder(folder))
        ? await importFolder(client, folder, opts)
        : await findBox(client, ref, opts.workspace);
    const variables: VariableOverride[] = entry.variables.map((v) => ({
      name: v.name,
      ...(v.scope ? { scope: v.scope } : {}),
      ...(v.tags ? { tags: [...v.tags, ...opts.tags] } : { value: v.value }),
    }));
    const claims = { ...opts, claims: [...entry.policy, ...opts.claims] };
    planned.push(
      await request(client, box, entry.name, [...variables, ...opts.variables], [...entry.tags, ...opts.tags], claims),
    );
  }
  return planned;
}

function tryStat(path: string) {
  try {
    return statSync(path, { throwIfNoEntry: false });
  } catch {
    return undefined;
  }
}

/** Works out what to deploy from TARGET: a box folder, an application document, or a box name or id. */
export async function planDeploys(client: EbClient, target: string, given: DeployOptions): Promise<PlannedDeploy[]> {
  // Synchronous: one stat of the command line's TARGET, and a deploy of a box by name or id then
  // never loads fs/promises (which brings readline's modules along).
  const info = tryStat(target);
  if (!info && isBoxId(target)) {
    // A box id: its stack (the box itself first) is all the deploy needs, in one request.
    const stack = await client.boxes.stack(target);
    const box = stack[0]!;
    if (isApplicationBox(box)) return [applicationRequest(box, given)];
    return [await request(client, box, given.name ?? box.name, given.variables, given.tags, given, stack)];
  }
  const opts = await inWorkspace(given);
  if (info?.isDirectory()) {
    const box = await importFolder(client, target, opts);
    if (isApplicationBox(box)) return [applicationRequest(box, opts)];
    return [await request(client, box, opts.name ?? box.name, opts.variables, opts.tags, opts)];
  }
  if (info?.isFile()) {
    if (!/\.ya?ml$/i.test(target))
      throw new UsageError(`${target}: expected a box folder or an application document (.yaml)`);
    if (opts.name)
      throw new UsageError('--name does not apply to an application document (its keys name the instances)');
    return fromApplication(client, target, opts);
  }
  const box = await findBox(client, target, opts.workspace);
  if (isApplicationBox(box)) return [applicationRequest(box, opts)];
  return [await request(client, box, opts.name ?? box.name, opts.variables, opts.tags, opts)];
}
