/**
 * kubectl-sluice: `kubectl sluice get|status [--watch]|history|promote [--full]|abort|retry|undo|pause|resume|restart|
 * convert`. Every action is a plain-kubectl equivalent underneath (the sluice.dev/action annotation, spec.paused or
 * spec.restartAt), so
 * the plugin adds convenience, never a second way to drive a rollout.
 */
import { KubeConfig } from '../kube/clientNode.ts';
import {
  AppsClient,
  CoreClient,
  CustomObjectsClient,
  PatchStrategy,
  eventTimeOf,
  jsonApi,
  type EventJson,
} from '../kube/resourceClients.ts';
import { actionAnnotation, type ManualAction } from '../api/controls.ts';
import { restartTimeFor } from '../api/restartAt.ts';
import { apiGroup, apiVersionName, type Rollout } from '../api/types.ts';
import { convertLimits } from '../convert/convert.ts';
import { converters } from '../convert/converters.ts';
import { convertCommand } from './convertCommand.ts';
import { describe, table, type EventLine } from './render.ts';
import { historyTable, previousRevisionNumber, revisionLines, revisionsSummary } from './history.ts';
import { revisionOf } from '../planner/revision.ts';
import { rolloutLabel } from '../workload/names.ts';
import { isSluiceReplicaSet } from '../workload/objects.ts';
import { outdatedCrdMessage, prunedSpecFields } from './specWrite.ts';
import { printable } from './terminalText.ts';

const usage = `Usage: kubectl sluice <command> [name] [-n namespace | -A] [--kubeconfig file] [--context name]

Commands:
  get [name]              list rollouts (phase, step, canary weight, age)
  status <name> [--watch] phase, message, step, weights, revisions, conditions and recent events
                          (blue-green: also its Services, steps and analyses)
  history <name>          the revisions kept, numbered as undo takes them (newest first)
  promote <name> [--full] end the current step (--full: skip every remaining step)
  abort <name>            move all traffic back to stable now
  retry <name>            start an aborted canary again from the first step
  undo <name> [--to-revision N]
                          put the Deployment's pod template back to the previous revision (or revision N); the
                          previous one is looked up now and asked for by number, so two undos at once agree
  pause <name>            hold the rollout at its step (spec.paused=true)
  resume <name>           let it go on (spec.paused=false)
  restart <name>          replace the stable pods, one at a time through the Eviction API, so that
                          PodDisruptionBudgets are respected (spec.restartAt=now); during a release it waits
                          until the release is done
  convert -f <file|dir|-> [-o dir] [--strict]
                          Argo Rollouts and Flagger objects to Sluice's, as YAML on stdout (or one file per
                          object in dir); what could not be carried over is listed on stderr. Exit status 0: all
                          converted, 3: something dropped (--strict: then nothing is written), 1: failed.
                          Needs no cluster. docs/migrating.md has the whole switch.

Plain kubectl does the same:
  kubectl annotate rollout <name> ${actionAnnotation}=promote|promote-full|abort|retry|undo|undo:N --overwrite
  kubectl patch rollout <name> --type merge -p '{"spec":{"paused":true}}'
  kubectl patch rollout <name> --type merge -p '{"spec":{"restartAt":"'$(date -u +%Y-%m-%dT%H:%M:%SZ)'"}}'`;

const ref = { group: apiGroup, version: apiVersionName, plural: 'rollouts' };

interface Args {
  command: string | undefined;
  name: string | undefined;
  namespace: string | undefined;
  allNamespaces: boolean;
  full: boolean;
  watch: boolean;
  /** undo: --to-revision N, as kubectl sluice history numbers them. */
  toRevision: string | undefined;
  kubeconfig: string | undefined;
  context: string | undefined;
  /** convert: -f (repeatable), -o and --strict. */
  files: string[];
  outputDir: string | undefined;
  strict: boolean;
}

export function parseArgs(argv: readonly string[]): Args {
  const args: Args = {
    command: undefined,
    name: undefined,
    namespace: undefined,
    allNamespaces: false,
    full: false,
    watch: false,
    toRevision: undefined,
    kubeconfig: undefined,
    context: undefined,
    files: [],
    outputDir: undefined,
    strict: false,
  };
  const positional: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const value = () => {
      const v = a.includes('=') ? a.slice(a.indexOf('=') + 1) : argv[++i];
      if (v === undefined) throw new Error(`${a} needs a value`);
      return v;
    };
    if (a === '-n' || a.startsWith('--namespace')) args.namespace = value();
    else if (a === '-A' || a === '--all-namespaces') args.allNamespaces = true;
    else if (a === '--full') args.full = true;
    else if (a === '-w' || a === '--watch') args.watch = true;
    else if (a.startsWith('--to-revision')) args.toRevision = value();
    else if (a.startsWith('--kubeconfig')) args.kubeconfig = value();
    else if (a.startsWith('--context')) args.context = value();
    else if (a === '-f' || a.startsWith('--filename')) args.files.push(value());
    else if (a === '-o' || a.startsWith('--output-dir')) args.outputDir = value();
    else if (a === '--strict') args.strict = true;
    else if (a === '-h' || a === '--help') positional.unshift('help');
    else if (a.startsWith('-')) throw new Error(`unknown flag ${a}\n\n${usage}`);
    else positional.push(a);
  }
  [args.command, args.name] = positional;
  return args;
}

function kubeConfig(args: Args): KubeConfig {
  const kc = new KubeConfig();
  if (args.kubeconfig !== undefined) kc.loadFromFile(args.kubeconfig);
  else kc.loadFromDefault();
  if (args.context !== undefined) kc.setCurrentContext(args.context);
  return kc;
}

function currentNamespace(kc: KubeConfig, args: Args): string {
  return args.namespace ?? kc.getContextObject(kc.getCurrentContext())?.namespace ?? 'default';
}

/**
 * The line to print when run() fails. The API server's message quotes what the user or the cluster wrote (names,
 * field values), so it is made printable like every other string from the cluster.
 */
export function errorText(err: unknown): string {
  const e = err as { body?: unknown; message?: unknown } | null | undefined;
  const message = statusMessageOf(e?.body) ?? e?.message ?? err;
  return `error: ${printable(typeof message === 'string' ? message : String(message))}`;
}

/** The message of the API server's Status, which an ApiException carries as text (or, elsewhere, parsed). */
function statusMessageOf(body: unknown): unknown {
  let status = body;
  if (typeof body === 'string')
    try {
      status = JSON.parse(body);
    } catch {
      return undefined;
    }
  return (status as { message?: unknown } | null | undefined)?.message;
}

export async function run(
  argv: readonly string[],
  out: (s: string) => void,
  err: (s: string) => void = (s) => process.stderr.write(`${s}\n`),
): Promise<number> {
  const args = parseArgs(argv);
  if (args.command === undefined || args.command === 'help') {
    out(usage);
    return args.command === undefined ? 2 : 0;
  }
  if (args.command === 'convert') {
    return convertCommand(args, { out, err, stdin: () => readBounded(process.stdin) }, converters);
  }
  const kc = kubeConfig(args);
  const custom = new CustomObjectsClient(jsonApi(kc));
  const namespace = currentNamespace(kc, args);
  const needName = () => {
    if (args.name === undefined)
      throw new Error(`${args.command} needs a rollout name: kubectl sluice ${args.command} <name>`);
    return args.name;
  };
  const annotate = async (action: ManualAction, said = `${action} requested`) => {
    const name = needName();
    await custom.patchNamespacedCustomObject(
      { ...ref, namespace, name, body: { metadata: { annotations: { [actionAnnotation]: action } } } },
      PatchStrategy.MergePatch,
    );
    out(`rollout ${namespace}/${name}: ${said}`);
  };
  /** Merge-patches spec fields and says `done` only when the answer holds them (an older CRD prunes them). */
  const writeSpec = async (spec: Record<string, unknown>, done: string): Promise<number> => {
    const name = needName();
    const answer: unknown = await custom.patchNamespacedCustomObject(
      { ...ref, namespace, name, body: { spec } },
      PatchStrategy.MergePatch,
    );
    const pruned = prunedSpecFields(spec, answer);
    if (pruned.length > 0) {
      err(`error: ${outdatedCrdMessage(`${namespace}/${name}`, pruned)}`);
      return 1;
    }
    out(`rollout ${namespace}/${name}: ${done}`);
    return 0;
  };
  const setPaused = (paused: boolean) => writeSpec({ paused }, paused ? 'paused' : 'resumed');
  const restart = async () => {
    const name = needName();
    // Refused before writing: a flag-only Rollout has no pods, and the controller would only say so afterwards.
    const current = (await custom.getNamespacedCustomObject({ ...ref, namespace, name })) as Rollout;
    if (current.spec.workloadRef === undefined)
      throw new Error(
        `rollout ${namespace}/${name} has no spec.workloadRef: it runs no pods, so there is nothing to restart`,
      );
    const restartAt = restartTimeFor(new Date());
    return writeSpec({ restartAt }, `restart of the stable pods requested (spec.restartAt=${restartAt})`);
  };

  switch (args.command) {
    case 'get': {
      const list =
        args.name !== undefined
          ? [(await custom.getNamespacedCustomObject({ ...ref, namespace, name: args.name })) as Rollout]
          : (
              (args.allNamespaces
                ? await custom.listClusterCustomObject(ref)
                : await custom.listNamespacedCustomObject({ ...ref, namespace })) as { items: Rollout[] }
            ).items;
      out(
        list.length === 0
          ? `No rollouts found in ${args.allNamespaces ? 'any namespace' : `${namespace} namespace`}.`
          : table(list, new Date(), args.allNamespaces),
      );
      return 0;
    }
    case 'status':
      return status(kc, namespace, needName(), args.watch, out);
    case 'promote':
      await annotate(args.full ? 'promote-full' : 'promote');
      return 0;
    case 'abort':
    case 'retry':
      await annotate(args.command);
      return 0;
    case 'undo': {
      const action = undoAction(args.toRevision ?? String(await previousRevision(kc, namespace, needName())));
      const to =
        args.toRevision === undefined
          ? `the previous revision requested (revision ${action.slice('undo:'.length)}: `
          : `revision ${args.toRevision} requested (`;
      await annotate(
        action,
        `undo to ${to}${actionAnnotation}=${action}); kubectl sluice status ${needName()} -n ${namespace} shows the outcome`,
      );
      return 0;
    }
    case 'history': {
      const rollout = (await custom.getNamespacedCustomObject({ ...ref, namespace, name: needName() })) as Rollout;
      out(historyTable(rollout, revisionLines(await replicaSetsOf(kc, rollout))));
      return 0;
    }
    case 'pause':
    case 'resume':
      return setPaused(args.command === 'pause');
    case 'restart':
      return restart();
    default:
      throw new Error(`unknown command ${args.command}\n\n${usage}`);
  }
}

async function status(
  kc: KubeConfig,
  namespace: string,
  name: string,
  watch: boolean,
  out: (s: string) => void,
): Promise<number> {
  const api = jsonApi(kc);
  const custom = new CustomObjectsClient(api);
  const core = new CoreClient(api);
  let last = '';
  for (;;) {
    const rollout = (await custom.getNamespacedCustomObject({ ...ref, namespace, name })) as Rollout;
    const events = await core.listNamespacedEvent({
      namespace,
      fieldSelector: `involvedObject.name=${name},involvedObject.kind=Rollout`,
    });
    // An Event written through events.k8s.io/v1 has no lastTimestamp (null), only eventTime: sorted and aged by that.
    const at = (e: EventJson) => new Date(eventTimeOf(e) ?? 0).getTime() || 0;
    const lines: EventLine[] = events.items
      .sort((a, b) => at(a) - at(b))
      .slice(-10)
      .map((e) => ({
        type: e.type ?? '',
        reason: e.reason ?? '',
        message: e.message ?? '',
        time: eventTimeOf(e),
      }));
    const revisions = await replicaSetsOf(kc, rollout).then(
      (sets) => revisionsSummary(rollout, revisionLines(sets)),
      () => undefined, // a user who may read Rollouts but not ReplicaSets still gets the rest
    );
    const text = describe(rollout, lines, new Date(), revisions);
    if (text !== last) out(watch && last !== '' ? `\n${text}` : text);
    last = text;
    if (!watch) return 0;
    await new Promise((r) => setTimeout(r, 1_000));
  }
}

/** The annotation value of `undo [--to-revision N]`; a revision that is not a number is refused here already. */
export function undoAction(toRevision: string | undefined): ManualAction {
  if (toRevision === undefined) return 'undo';
  if (!/^[1-9][0-9]{0,8}$/.test(toRevision))
    throw new Error(`--to-revision ${toRevision}: a revision is a number, as kubectl sluice history lists them`);
  return `undo:${Number(toRevision)}`;
}

/**
 * The revision a plain `kubectl sluice undo` names: the one before the Deployment's current template, resolved here
 * and written as undo:N, so that two engineers' undos converge instead of toggling back. (The bare `undo`
 * annotation keeps meaning "the previous revision" for plain kubectl; the controller resolves that one.)
 */
async function previousRevision(kc: KubeConfig, namespace: string, name: string): Promise<number> {
  const api = jsonApi(kc);
  const rollout = (await new CustomObjectsClient(api).getNamespacedCustomObject({
    ...ref,
    namespace,
    name,
  })) as Rollout;
  const workload = rollout.spec.workloadRef?.name;
  if (workload === undefined)
    throw new Error(
      `rollout ${namespace}/${name} has no spec.workloadRef: a flag-only Rollout has no pod template to go back to`,
    );
  const d = await new AppsClient(api).readNamespacedDeployment({ namespace, name: workload });
  const current = d.spec?.template === undefined ? '' : revisionOf(d.spec.template);
  const previous = previousRevisionNumber(revisionLines(await replicaSetsOf(kc, rollout)), current);
  if (previous === undefined)
    throw new Error(
      `rollout ${namespace}/${name} has no earlier revision to go back to: kubectl sluice history ${name} lists the revisions kept`,
    );
  return previous;
}

/**
 * The ReplicaSets Sluice runs for a Rollout (its revisions): the ones the controller counts (isSluiceReplicaSet), so
 * that history lists its revisions and undo names one it has, never one of a ReplicaSet someone else made with the
 * Rollout's labels and owner reference.
 */
async function replicaSetsOf(kc: KubeConfig, rollout: Rollout) {
  const list = await new AppsClient(jsonApi(kc)).listNamespacedReplicaSet({
    namespace: rollout.metadata.namespace!,
    labelSelector: `${rolloutLabel}=${rollout.metadata.name}`,
  });
  return list.items.filter((rs) => isSluiceReplicaSet(rollout, rs));
}

/** Standard input, read up to one byte past the per-source limit (the conversion then refuses it, naming the bound). */
async function readBounded(input: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of input) {
    const buffer = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk);
    chunks.push(buffer);
    size += buffer.length;
    if (size > convertLimits.bytesPerSource) break;
  }
  return Buffer.concat(chunks).toString('utf8');
}
