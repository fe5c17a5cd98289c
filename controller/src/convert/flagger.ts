/**
 * Flagger (flagger.app/v1beta1) to Sluice: a Canary becomes a Rollout (a canary, or blue-green for Flagger's
 * blue/green), the router object Sluice patches (Flagger generated its own) and an AnalysisTemplate with its
 * checks; a MetricTemplate's query goes into the AnalysisTemplate of each Canary that references it, since a Sluice
 * metric carries its condition and a Flagger MetricTemplate has none (each Canary sets thresholdRange). So a
 * Canary's templateRef metrics need their MetricTemplates in the same run of kubectl sluice convert, which lend
 * their queries to its checks.
 */
import { apiVersion } from '../api/types.ts';
import { rolloutLimits } from '../api/rollout.schema.ts';
import { keptMetadata, objectId, type Conversion, type Converter, type KubeManifest } from './conversion.ts';
import { DropList, Fields, isRecord, type Json } from './flaggerFields.ts';
import { convertMetrics } from './flaggerMetrics.ts';
import { blueGreenServices, blueGreenStrategy, isBlueGreen, readBlueGreenSchedule } from './flaggerBlueGreen.ts';
import { convertRouting, routerOf } from './flaggerRouting.ts';
import { convertSteps, type StepsResult } from './flaggerSteps.ts';

const flaggerApiVersion = 'flagger.app/v1beta1';
/** Flagger's defaults when analysis.interval and analysis.threshold are not set. */
const defaultInterval = '1m';
const defaultThreshold = 1;

/** An object that is not converted at all: the one reason says why; its fields are not listed one by one. */
function notConverted(drops: DropList, path: string, reason: string): Conversion {
  return { objects: [], dropped: [{ object: drops.object, path, reason }] };
}

function convertCanary(input: KubeManifest, all: readonly KubeManifest[]): Conversion {
  const drops = new DropList(objectId(input));
  const spec = new Fields(input.spec, 'spec', drops);
  const name = input.metadata.name;
  const namespace = input.metadata.namespace;

  const targetRef = spec.obj('targetRef');
  const kind = targetRef?.str('kind');
  const target = targetRef?.str('name');
  targetRef?.str('apiVersion');
  if (target === undefined || kind !== 'Deployment')
    return notConverted(
      drops,
      'spec.targetRef',
      `Sluice releases Deployments: a targetRef of kind ${kind ?? '(not set)'}${target === undefined ? ' without a name' : ''} is not converted`,
    );
  targetRef!.dropRest();

  const apex =
    isRecord(spec.value.service) && typeof spec.value.service.name === 'string' ? spec.value.service.name : target;
  const ingress =
    isRecord(spec.value.ingressRef) && typeof spec.value.ingressRef.name === 'string'
      ? spec.value.ingressRef.name
      : undefined;
  // The Services' names depend on the strategy, and the router objects written below send to them.
  const blueGreen = isBlueGreen(spec.value.analysis);
  const provider = typeof spec.value.provider === 'string' ? routerOf(spec.value.provider) : undefined;
  const services = blueGreen ? blueGreenServices(apex, provider !== undefined && provider !== 'kubernetes') : undefined;
  const stable = services?.active ?? `${name}-stable`;
  const canaryService = services?.preview ?? `${name}-canary`;
  const routing = convertRouting(spec, { namespace, apex, stable, canary: canaryService, blueGreen });
  if (routing.router !== 'nginx') spec.drop('ingressRef', 'only the nginx provider uses ingressRef');
  if (routing.provider === 'kubernetes' && !blueGreen)
    return notConverted(
      drops,
      'spec.provider',
      "provider kubernetes routes nothing by weight (Flagger's Kubernetes provider is for blue/green: analysis.iterations without stepWeight, stepWeights or match), and this analysis is not blue/green; the Canary is not converted",
    );

  const analysis = spec.obj('analysis') ?? new Fields({}, 'spec.analysis', drops);
  const interval = analysis.duration('interval') ?? defaultInterval;
  const threshold = analysis.int('threshold', 1, 1001) ?? defaultThreshold;
  let stepResult: StepsResult | undefined;
  let iterations: number | undefined;
  if (blueGreen) {
    const schedule = readBlueGreenSchedule(analysis);
    if ('notConvertible' in schedule)
      return notConverted(drops, schedule.notConvertible.path, schedule.notConvertible.reason);
    iterations = schedule.iterations;
  } else {
    stepResult = convertSteps(analysis, routing.router, interval);
    if (stepResult.notConvertible !== undefined)
      return notConverted(drops, stepResult.notConvertible.path, stepResult.notConvertible.reason);
    if (stepResult.steps.length === 0)
      return notConverted(drops, 'spec.analysis', 'the analysis has no weights nor A/B match Sluice can run as steps');
  }

  const metricTemplate = (ns: string | undefined, mt: string) =>
    all.find(
      (o) =>
        o.apiVersion === flaggerApiVersion &&
        o.kind === 'MetricTemplate' &&
        o.metadata.name === mt &&
        o.metadata.namespace === ns,
    );
  const checks = convertMetrics(analysis, {
    rollout: name,
    namespace,
    canaryService,
    target,
    apex,
    ingress,
    provider: routing.provider,
    interval,
    threshold,
    ...(iterations === undefined ? {} : { count: iterations }),
    metricTemplate,
  });
  analysis.drop(
    'webhooks',
    'notifications and webhooks are not in Sluice yet: load tests, acceptance tests and gates they ran are lost',
  );
  analysis.drop('alerts', 'notifications and webhooks are not in Sluice yet');
  analysis.drop('sessionAffinity', 'Sluice has no cookie-based session affinity for canaries');
  analysis.dropRest();

  // Not written, the reasons above kept: the API server would refuse a router without Sluice's Services' port (and
  // a guessed one would send requests nowhere); a Rollout without the checks the Canary had would promote unchecked.
  const unwritten = (path: string, reason: string): Conversion => ({
    objects: [],
    dropped: [...drops.entries, { object: drops.object, path, reason }],
  });
  if (routing.trafficRouting !== undefined && routing.service === undefined)
    return unwritten(
      'spec',
      `the Rollout is not written: its router needs the port of the Services ${stable} and ${canaryService}, and service.port is not readable; fix service.port and convert again`,
    );
  if (blueGreen && routing.service === undefined)
    return unwritten(
      'spec',
      `the Rollout is not written: Sluice blue-green needs spec.service.port, the port of ${stable} and ${canaryService} when Sluice creates them, and service.port is not set or not readable; fix service.port and convert again`,
    );
  const metricsIn = analysis.value['metrics'];
  if (Array.isArray(metricsIn) && metricsIn.length > 0 && checks.metrics.length === 0)
    return unwritten(
      'spec.analysis.metrics',
      "the Rollout is not written: none of the Canary's metrics converted (above), and without them it would promote with no check at all; fix them and convert again",
    );

  const objects: KubeManifest[] = [];
  let analysisRef: Json | undefined;
  if (checks.metrics.length > 0) {
    const templateName = `${name}-checks`;
    objects.push({
      apiVersion,
      kind: 'AnalysisTemplate',
      metadata: { name: templateName, ...(namespace === undefined ? {} : { namespace }) },
      spec: { ...(checks.templateArgs.length === 0 ? {} : { args: checks.templateArgs }), metrics: checks.metrics },
    });
    analysisRef = { templates: [{ templateName }], ...(checks.args.length === 0 ? {} : { args: checks.args }) };
  }

  const rolloutSpec: Json = { workloadRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: target } };
  if (routing.service !== undefined) rolloutSpec.service = routing.service;
  const managedRoutes = stepResult?.managedRoutes ?? [];
  if (routing.trafficRouting !== undefined) {
    rolloutSpec.trafficRouting =
      managedRoutes.length === 0
        ? routing.trafficRouting
        : { ...routing.trafficRouting, managedRoutes: managedRoutes.map((r) => ({ name: r })) };
  }
  if (stepResult !== undefined) {
    const background = analysisRef === undefined ? {} : { analysis: { ...analysisRef, startingStep: 0 } };
    rolloutSpec.strategy = { canary: { steps: stepResult.steps, ...background } };
  } else {
    const schedule = { iterations: iterations!, interval, path: analysis.at('iterations') };
    rolloutSpec.strategy = { blueGreen: blueGreenStrategy(services!, schedule, analysisRef, drops) };
  }
  const suspend = spec.bool('suspend');
  if (suspend === true) {
    rolloutSpec.paused = true;
    drops.add(
      'spec.suspend',
      'note: converted to paused: true, which holds the rollout at its step; a suspended Canary also ignored new revisions',
    );
  }
  const deadline = spec.int('progressDeadlineSeconds', 1, Number.MAX_SAFE_INTEGER);
  if (deadline !== undefined && deadline > rolloutLimits.progressDeadlineSeconds)
    drops.add(
      'spec.progressDeadlineSeconds',
      `more than the ${rolloutLimits.progressDeadlineSeconds} Sluice allows: not converted`,
    );
  else if (deadline !== undefined) rolloutSpec.progressDeadlineSeconds = deadline;
  // Flagger rolls back when the deadline passes; Sluice only marks the rollout Degraded unless told to abort.
  rolloutSpec.progressDeadlineAbort = true;
  spec.drop('skipAnalysis', 'Sluice has no switch to promote without running the steps: remove the analysis instead');
  spec.drop(
    'autoscalerRef',
    "Flagger points a copy of the HPA at <target>-primary; Sluice's ReplicaSets are not scaled by an HPA yet",
  );
  spec.drop('revertOnDeletion', 'Sluice hands the Deployment back when a Rollout is deleted, always');
  spec.dropRest();

  const rollout: KubeManifest = { apiVersion, kind: 'Rollout', metadata: keptMetadata(input), spec: rolloutSpec };
  return { objects: [rollout, ...objects, ...routing.objects], dropped: drops.entries };
}

function convertMetricTemplate(input: KubeManifest, all: readonly KubeManifest[]): Conversion {
  const drops = new DropList(objectId(input));
  const spec = new Fields(input.spec, 'spec', drops);
  const provider = spec.obj('provider');
  const type = provider?.str('type');
  if (type !== 'prometheus')
    return notConverted(
      drops,
      'spec.provider.type',
      `provider ${type ?? '(not set)'}: Sluice measures with Prometheus only; the MetricTemplate is not converted`,
    );
  provider!.str('address');
  provider!.drop(
    'secretRef',
    "Sluice reads a bearer token or a basic-auth password from a Secret, with the user name in the template: set provider.prometheus.authentication in the Canaries' AnalysisTemplates",
  );
  provider!.drop('insecureSkipVerify', 'Sluice always verifies TLS certificates');
  provider!.dropRest();
  spec.str('query');
  spec.dropRest();
  const users = all.filter((o) => o.apiVersion === flaggerApiVersion && o.kind === 'Canary' && references(o, input));
  const reason =
    users.length === 0
      ? 'no Canary converted with it references it; a Flagger MetricTemplate has no threshold of its own, so its query is written into the AnalysisTemplate of each Canary that uses it: convert it with them'
      : undefined;
  if (reason !== undefined) drops.add('spec', reason);
  return { objects: [], dropped: drops.entries };
}

/** True when one of the Canary's metrics names the MetricTemplate (templateRef.namespace defaults to the Canary's). */
function references(canary: KubeManifest, mt: KubeManifest): boolean {
  const analysis = isRecord(canary.spec) ? canary.spec.analysis : undefined;
  const metrics = isRecord(analysis) && Array.isArray(analysis.metrics) ? analysis.metrics : [];
  return metrics.some((m: unknown) => {
    const ref = isRecord(m) ? m.templateRef : undefined;
    if (!isRecord(ref) || ref.name !== mt.metadata.name) return false;
    const ns = typeof ref.namespace === 'string' ? ref.namespace : canary.metadata.namespace;
    return ns === mt.metadata.namespace;
  });
}

/** A converter that sees every input object, so that a Canary finds the MetricTemplates it references. */
export function flaggerConverter(all: readonly KubeManifest[]): Converter {
  return (input) => {
    if (input.apiVersion !== flaggerApiVersion) return undefined;
    if (input.kind === 'Canary') return convertCanary(input, all);
    if (input.kind === 'MetricTemplate') return convertMetricTemplate(input, all);
    return undefined;
  };
}

/** With the other objects of the run: a Canary takes the queries of the MetricTemplates converted with it. */
export const convertFlagger: Converter = (input, context) =>
  flaggerConverter(context === undefined || context.objects.length === 0 ? [input] : context.objects)(input);
