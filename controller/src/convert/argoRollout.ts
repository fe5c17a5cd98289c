/**
 * An Argo Rollout -> a Sluice Rollout, plus a Deployment when the Argo Rollout embeds its pod template (Sluice
 * releases a Deployment it refers to and has no template of its own). The canary strategy is converted here, the
 * blue-green one in argoBlueGreen.ts; what follows the strategy (workload, port, deadlines) is shared.
 */
import { parseRestartAt } from '../api/restartAt.ts';
import { rolloutLimits } from '../api/rollout.schema.ts';
import { maxRollbackWindow } from '../api/rollback.schema.ts';
import { apiVersion } from '../api/types.ts';
import { keptMetadata, noContext, type Conversion, type ConvertContext, type KubeManifest } from './conversion.ts';
import { DropList, ownReason, setIf, type Fields } from './argoRead.ts';
import { convertBlueGreen } from './argoBlueGreen.ts';
import { convertTrafficRouting } from './argoRouting.ts';
import { convertAnalysis, convertSteps } from './argoSteps.ts';

const canaryReasons: Record<string, string> = {
  maxSurge: 'Sluice sizes the canary from the traffic weight',
  maxUnavailable: 'Sluice sizes the canary from the traffic weight',
  scaleDownDelaySeconds: 'Sluice scales the old stable down once promotion is read back',
  scaleDownDelayRevisionLimit: 'Sluice scales the old stable down once promotion is read back',
  dynamicStableScale: 'Sluice scales stable with the weight only behind a traffic router',
  antiAffinity: 'Sluice adds no anti-affinity between revisions: set it in the pod template if needed',
  canaryMetadata: 'Sluice labels the pods with their revision itself',
  stableMetadata: 'Sluice labels the pods with their revision itself',
  pingPong: 'Sluice has no ping-pong Services',
  minPodsPerReplicaSet: 'Sluice has no minimum canary size',
  replicaProgressThreshold: 'Sluice waits for every canary pod to be available',
};

/**
 * Argo's rollbackWindow, for a canary: the same field in Sluice, where the background analysis still judges the
 * rollback (Argo skips analysis too).
 */
function rollbackWindow(spec: Fields, blueGreen: boolean, drops: DropList): Fields | undefined {
  const window = drops.fields(spec['rollbackWindow'], 'spec.rollbackWindow');
  if (window === undefined) return undefined;
  if (blueGreen) {
    drops.drop('spec.rollbackWindow', 'Sluice blue-green always runs its preview and analysis, also for a rollback');
    return undefined;
  }
  drops.rest(window, 'spec.rollbackWindow', ['revisions'], (field) => `Sluice rollbackWindow has no ${field}`);
  const revisions = drops.integer(window['revisions'], 'spec.rollbackWindow.revisions', 1, maxRollbackWindow);
  return revisions === undefined ? undefined : { revisions };
}

/**
 * Argo's restartAt, the same field in Sluice: kept when Sluice can read it. One in the past is harmless: Sluice's
 * pods are made after it, so the restart is recorded as done at once.
 */
function restartAtOf(value: unknown, drops: DropList): string | undefined {
  const text = drops.string(value, 'spec.restartAt');
  if (text === undefined) return undefined;
  const read = parseRestartAt(text);
  if (read.kind === 'time') return text;
  drops.drop('spec.restartAt', read.message);
  return undefined;
}

/** The template's first container port, which becomes the Services' port. */
function firstPort(template: Fields | undefined): number | undefined {
  const containers = (template?.['spec'] as Fields | undefined)?.['containers'];
  if (!Array.isArray(containers)) return undefined;
  const ports = (containers[0] as Fields | undefined)?.['ports'];
  const port = Array.isArray(ports) ? (ports[0] as Fields | undefined)?.['containerPort'] : undefined;
  return typeof port === 'number' && Number.isInteger(port) && port >= 1 && port <= 65535 ? port : undefined;
}

/** workloadRef as Sluice takes it, or the Deployment made from the embedded template. */
function workload(input: KubeManifest, spec: Fields, drops: DropList): { ref?: Fields; deployment?: KubeManifest } {
  const ref = drops.fields(spec['workloadRef'], 'spec.workloadRef');
  if (ref !== undefined) {
    const kind = ref['kind'] ?? 'Deployment';
    const name = drops.string(ref['name'], 'spec.workloadRef.name');
    drops.rest(ref, 'spec.workloadRef', ['apiVersion', 'kind', 'name'], (field) =>
      field === 'scaleDown'
        ? 'Sluice scales the Deployment itself: it must not be scaled by another controller'
        : `Sluice workloadRef has no ${field}`,
    );
    if (kind !== 'Deployment' || name === undefined) {
      drops.drop('spec.workloadRef', `Sluice releases Deployments only (this refers to a ${JSON.stringify(kind)})`);
      return {};
    }
    for (const field of ['replicas', 'selector', 'template', 'minReadySeconds'])
      if (spec[field] !== undefined) drops.drop(`spec.${field}`, 'the Deployment of workloadRef has its own');
    return { ref: { name } };
  }
  const template = drops.fields(spec['template'], 'spec.template');
  if (template === undefined) {
    drops.drop('spec', 'neither workloadRef nor template: there is no workload to release');
    return {};
  }
  const deploymentSpec: Fields = {};
  // Bounds of the Deployment's int32 fields: a value out of them (1e999 reads as Infinity) is dropped, not written.
  setIf(deploymentSpec, 'replicas', drops.integer(spec['replicas'], 'spec.replicas', 0, 2_147_483_647));
  setIf(deploymentSpec, 'selector', spec['selector']);
  setIf(
    deploymentSpec,
    'minReadySeconds',
    drops.integer(spec['minReadySeconds'], 'spec.minReadySeconds', 0, 2_147_483_647),
  );
  deploymentSpec['template'] = template;
  const { name, namespace, labels } = keptMetadata(input);
  const metadata = {
    name,
    ...(namespace === undefined ? {} : { namespace }),
    ...(labels === undefined ? {} : { labels }),
  };
  return { ref: { name }, deployment: { apiVersion: 'apps/v1', kind: 'Deployment', metadata, spec: deploymentSpec } };
}

/**
 * Argo's canaryService/stableService are the user's Services; Sluice creates and owns <rollout>-canary and
 * <rollout>-stable. The router objects must send to Sluice's, which the user has to change by hand.
 */
function services(name: string, canary: Fields, drops: DropList): void {
  for (const [field, role] of [
    ['canaryService', 'canary'],
    ['stableService', 'stable'],
  ] as const) {
    const theirs = canary[field];
    if (theirs === undefined) continue;
    const ours = `${name}-${role}`;
    drops.drop(
      `spec.strategy.canary.${field}`,
      theirs === ours
        ? `Sluice creates and owns the Service ${ours}, which has the same name as yours: delete your Service ${ours} before applying (your router objects already point at the name)`
        : `Sluice creates and owns the Service ${ours}: in your VirtualService, Ingress, TrafficSplit or HTTPRoute, replace the Service ${JSON.stringify(theirs)} by ${ours}, then delete ${JSON.stringify(theirs)} if nothing else uses it`,
    );
  }
}

function convertCanary(
  canary: Fields,
  name: string,
  drops: DropList,
): { strategy: Fields; trafficRouting?: Fields; needsService: boolean } {
  const path = 'spec.strategy.canary';
  const converted = convertSteps(canary['steps'], `${path}.steps`, drops);
  // Argo promotes at once when there are no steps; Sluice needs one step, and full weight is the same outcome.
  const strategy: Fields = { steps: converted.steps.length > 0 ? converted.steps : [{ setWeight: 100 }] };
  const background = drops.fields(canary['analysis'], `${path}.analysis`);
  const analysis = background && convertAnalysis(background, `${path}.analysis`, drops);
  if (analysis !== undefined) {
    const start = drops.integer(background!['startingStep'], `${path}.analysis.startingStep`, 0, 10_000);
    if (start !== undefined) {
      const kept = converted.keptIndex(start);
      if (kept < (strategy['steps'] as Fields[]).length) analysis['startingStep'] = kept;
      else
        drops.drop(
          `${path}.analysis.startingStep`,
          'no converted step is at or after it: analysis starts with the first step',
        );
    }
    strategy['analysis'] = analysis;
  }
  setIf(
    strategy,
    'abortScaleDownDelaySeconds',
    drops.integer(
      canary['abortScaleDownDelaySeconds'],
      `${path}.abortScaleDownDelaySeconds`,
      0,
      rolloutLimits.abortScaleDownDelaySeconds,
    ),
  );
  services(name, canary, drops);
  const routing = drops.fields(canary['trafficRouting'], `${path}.trafficRouting`);
  const trafficRouting = routing && convertTrafficRouting(routing, `${path}.trafficRouting`, drops, name);
  // The same trade-off as Argo's (an abort waits for stable's pods), and the same need for a router.
  const dynamic =
    trafficRouting === undefined
      ? undefined
      : drops.boolean(canary['dynamicStableScale'], `${path}.dynamicStableScale`);
  setIf(strategy, 'dynamicStableScale', dynamic);
  const handled = [
    'steps',
    'analysis',
    'abortScaleDownDelaySeconds',
    ...(trafficRouting === undefined ? [] : ['dynamicStableScale']),
    'canaryService',
    'stableService',
    'trafficRouting',
  ];
  drops.rest(canary, path, handled, (field) => ownReason(canaryReasons, field) ?? `Sluice canaries have no ${field}`);
  const needsService =
    trafficRouting !== undefined || canary['canaryService'] !== undefined || canary['stableService'] !== undefined;
  return { strategy, ...(trafficRouting === undefined ? {} : { trafficRouting }), needsService };
}

/**
 * The port Sluice's Services listen on, so that the user's router objects keep sending where they did: the port
 * (and targetPort) of the first of the user's Services named (the stable one, or blue-green's active then preview)
 * that is in the input, else the workload's first container port.
 */
function servicePort(
  serviceNames: readonly unknown[],
  template: Fields | undefined,
  workloadName: string | undefined,
  context: ConvertContext,
): Fields | undefined {
  for (const name of serviceNames) {
    const service = typeof name === 'string' ? context.find('Service', undefined, name) : undefined;
    const ports = (service?.['spec'] as Fields | undefined)?.['ports'];
    const first = Array.isArray(ports) ? (ports[0] as Fields | undefined) : undefined;
    const port = first?.['port'];
    if (typeof port !== 'number' || !Number.isInteger(port) || port < 1 || port > 65535) continue;
    const target = first?.['targetPort'];
    const targetOk =
      (typeof target === 'number' && Number.isInteger(target) && target >= 1 && target <= 65535 && target !== port) ||
      (typeof target === 'string' && /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(target) && target.length <= 15);
    return targetOk ? { port, targetPort: target } : { port };
  }
  const deployment = workloadName === undefined ? undefined : context.find('Deployment', undefined, workloadName);
  const fromTemplate = template ?? ((deployment?.['spec'] as Fields | undefined)?.['template'] as Fields | undefined);
  const containerPort = firstPort(fromTemplate);
  return containerPort === undefined ? undefined : { port: containerPort };
}

/** The strategy as Sluice writes it, and what the Services' port is looked up from. */
interface ConvertedStrategy {
  strategy: Fields;
  trafficRouting?: Fields;
  /** Why the Rollout is not written when the port is not known; undefined when it can go without spec.service. */
  unwrittenWithoutPort?: string;
  /** Whether the Rollout needs spec.service (its router or its Services do). */
  needsService: boolean;
  serviceNames: readonly unknown[];
}

function convertStrategy(
  canary: Fields | undefined,
  blueGreen: Fields | undefined,
  name: string,
  drops: DropList,
): ConvertedStrategy | undefined {
  if (canary !== undefined) {
    const { strategy, trafficRouting, needsService } = convertCanary(canary, name, drops);
    const serviceNames = [canary['stableService']];
    const converted: ConvertedStrategy = { strategy: { canary: strategy }, needsService, serviceNames };
    if (trafficRouting === undefined) return converted;
    // A router needs Sluice's Services, and their port is not known: the API server would refuse the Rollout,
    // and a guessed port would send the router's requests nowhere. Nothing is written rather than that.
    converted.trafficRouting = trafficRouting;
    converted.unwrittenWithoutPort = `the Rollout is not written: its router needs the port of the Services ${name}-stable and ${name}-canary, which the input does not say; convert it together with its Deployment or its stable Service (the same -f), or add spec.service.port to the converted Rollout by hand`;
    return converted;
  }
  const converted = convertBlueGreen(blueGreen!, name, drops);
  if (converted === undefined) return undefined;
  const { strategy, active, preview } = converted;
  return {
    strategy: { blueGreen: strategy },
    needsService: true,
    serviceNames: [active, preview],
    // Sluice blue-green requires spec.service (the port of a Service it creates), which the API server checks.
    unwrittenWithoutPort: `the Rollout is not written: Sluice blue-green needs spec.service.port, the port of ${active} and ${preview} when Sluice creates them (an existing one keeps its ports), which the input does not say; convert it together with its active Service or its Deployment (the same -f)`,
  };
}

export function convertArgoRollout(
  input: KubeManifest,
  drops: DropList,
  context: ConvertContext = noContext,
): Conversion {
  const spec = drops.fields(input['spec'], 'spec') ?? {};
  const { ref, deployment } = workload(input, spec, drops);
  const strategyIn = drops.fields(spec['strategy'], 'spec.strategy') ?? {};
  drops.rest(strategyIn, 'spec.strategy', ['canary', 'blueGreen'], (field) => `Sluice has no ${field} strategy`);
  const canary = drops.fields(strategyIn['canary'], 'spec.strategy.canary');
  const blueGreen = drops.fields(strategyIn['blueGreen'], 'spec.strategy.blueGreen');
  const unconverted = { objects: deployment === undefined ? [] : [deployment], dropped: drops.entries };
  if (canary !== undefined && blueGreen !== undefined) {
    drops.drop('spec.strategy', 'both canary and blueGreen: Argo refuses that, and so does Sluice; not converted');
    return unconverted;
  }
  if (canary === undefined && blueGreen === undefined)
    drops.drop('spec.strategy', 'no canary or blueGreen strategy: the Rollout is not converted');
  if ((canary === undefined && blueGreen === undefined) || ref === undefined) return unconverted;
  const name = input.metadata.name;
  const converted = convertStrategy(canary, blueGreen, name, drops);
  if (converted === undefined) return unconverted;
  const { strategy, trafficRouting, needsService } = converted;
  const out: Fields = { workloadRef: ref };
  if (needsService) {
    const template =
      deployment?.['spec'] === undefined ? undefined : ((deployment['spec'] as Fields)['template'] as Fields);
    const service = servicePort(converted.serviceNames, template, ref['name'] as string | undefined, context);
    if (service !== undefined) out['service'] = service;
    else if (converted.unwrittenWithoutPort !== undefined) {
      drops.drop('spec', converted.unwrittenWithoutPort);
      return unconverted;
    } else
      drops.drop(
        deployment === undefined ? 'spec.workloadRef' : 'spec.template.spec.containers[0].ports',
        `the port of the Services ${name}-stable and ${name}-canary is not known from the input: set spec.service.port to the port your router sends to (the container port, or set targetPort too)`,
      );
  }
  setIf(out, 'trafficRouting', trafficRouting);
  out['strategy'] = strategy;
  setIf(out, 'paused', drops.boolean(spec['paused'], 'spec.paused'));
  setIf(
    out,
    'progressDeadlineSeconds',
    drops.integer(
      spec['progressDeadlineSeconds'],
      'spec.progressDeadlineSeconds',
      1,
      rolloutLimits.progressDeadlineSeconds,
    ),
  );
  setIf(out, 'progressDeadlineAbort', drops.boolean(spec['progressDeadlineAbort'], 'spec.progressDeadlineAbort'));
  setIf(out, 'revisionHistoryLimit', drops.integer(spec['revisionHistoryLimit'], 'spec.revisionHistoryLimit', 0, 1000));
  setIf(out, 'rollbackWindow', rollbackWindow(spec, blueGreen !== undefined, drops));
  setIf(out, 'restartAt', restartAtOf(spec['restartAt'], drops));
  const handled = ['workloadRef', 'replicas', 'selector', 'template', 'minReadySeconds', 'strategy', 'paused'];
  handled.push('progressDeadlineSeconds', 'progressDeadlineAbort', 'revisionHistoryLimit', 'rollbackWindow');
  handled.push('restartAt');
  drops.rest(spec, 'spec', handled, (field) => `Sluice Rollouts have no ${field}`);
  const rollout: KubeManifest = { apiVersion, kind: 'Rollout', metadata: keptMetadata(input), spec: out };
  return { objects: deployment === undefined ? [rollout] : [deployment, rollout], dropped: drops.entries };
}
