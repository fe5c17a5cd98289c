/**
 * The Rollout spec: what to release (workloadRef), how traffic reaches it (service, trafficRouting) and the steps
 * that move it from stable to canary. Field names follow Argo Rollouts where the concept is the same.
 * Rules the API server can check are CEL rules next to the field; rules that need other objects are in validate.ts.
 */
import { Type, type TOptional, type TSchema } from 'typebox';
import { routerSchemas } from '../routers/schemas.ts';
import { celRules, hasPath, mapList, object, objectName, percent, unleashName } from './common.schema.ts';
import { blueGreenStrategy } from './blueGreen.schema.ts';
import { rollbackWindow } from './rollback.schema.ts';
import { podDisruptionBudget } from './pdb.schema.ts';
import { restartAtSchema } from './restartAt.schema.ts';
import { analysisStep, args, maxSteps, pauseStep, rolloutLimits, setFlagStep, templates } from './stepParts.schema.ts';
import { dynamicStableScale, scaleDownWhen } from './canaryScaling.schema.ts';
import { notifications } from './notification.schema.ts';

export {
  analysisArg,
  analysisStep,
  analysisTemplateRef,
  drainingRevisionArg,
  maxArgs,
  maxSteps,
  maxTemplatesPerAnalysis,
  pauseStep,
  rolloutLimits,
  setFlagStep,
} from './stepParts.schema.ts';

/** At most this many header matches in a managed route; they are ANDed. */
export const maxHeaderMatches = 8;

const routeName = Type.String({
  description: 'Name of the route: one of spec.trafficRouting.managedRoutes.',
  minLength: 1,
  maxLength: 63,
  pattern: '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$',
});

export const headerMatch = object('A request header and the value it must have.', {
  headerName: Type.String({
    description: 'Name of the header (case-insensitive; written lowercase).',
    minLength: 1,
    maxLength: 256,
    pattern: "^[A-Za-z0-9!#$%&'*+.^_`|~-]+$",
  }),
  headerValue: object(
    'How the value matches: exactly one of exact, prefix or regex.',
    {
      exact: Type.Optional(Type.String({ description: 'The value, exactly.', maxLength: 4096 })),
      prefix: Type.Optional(Type.String({ description: 'A prefix of the value.', minLength: 1, maxLength: 4096 })),
      regex: Type.Optional(
        Type.String({
          description: 'A regular expression (RE2 syntax) the whole value matches.',
          minLength: 1,
          maxLength: 1024,
        }),
      ),
    },
    celRules({
      rule: '(has(self.exact) ? 1 : 0) + (has(self.prefix) ? 1 : 0) + (has(self.regex) ? 1 : 0) == 1',
      message: 'headerValue has exactly one of exact, prefix or regex',
    }),
  ),
});

const headerMatches = (description: string, minItems: number) =>
  Type.Array(headerMatch, { description, minItems, maxItems: maxHeaderMatches });

export const setHeaderRouteStep = object(
  'Sends the requests whose headers match to the canary, whatever the weight (A/B, internal users first); without match, removes the route.',
  {
    name: routeName,
    match: Type.Optional(
      headerMatches('Headers a request must all have to go to the canary. Omitted: the route is removed.', 1),
    ),
  },
);

export const setMirrorRouteStep = object(
  'Copies the matching requests to the canary (their answers are dropped); percentage 0 removes the route.',
  {
    name: routeName,
    percentage: percent('Percentage of the matching requests to copy to the canary; 0 removes the route.'),
    match: Type.Optional(headerMatches('Headers a request must all have to be copied. Omitted: every request.', 0)),
  },
);

export const stepActions = ['setWeight', 'pause', 'analysis', 'setFlag', 'setHeaderRoute', 'setMirrorRoute'] as const;

export const canaryStep = object(
  `One step of the canary. A step has exactly one action: ${stepActions.join(', ')}.`,
  {
    setWeight: Type.Optional(percent('Percentage of traffic to send to the canary; the rest goes to stable.')),
    pause: Type.Optional(pauseStep),
    analysis: Type.Optional(analysisStep),
    setFlag: Type.Optional(setFlagStep),
    setHeaderRoute: Type.Optional(setHeaderRouteStep),
    setMirrorRoute: Type.Optional(setMirrorRouteStep),
  },
  celRules({
    rule: `${stepActions.map((a) => `(has(self.${a}) ? 1 : 0)`).join(' + ')} == 1`,
    message: `a step has exactly one action: set one of ${stepActions.join(', ')} (split two actions into two steps)`,
  }),
);

export const backgroundAnalysis = object(
  'Analysis that runs in the background while the steps run; its failure aborts the rollout at any step.',
  {
    templates,
    args: Type.Optional(args),
    startingStep: Type.Optional(
      Type.Integer({
        description: 'Index of the step at which background analysis starts (0 is the first step).',
        minimum: 0,
        default: 0,
      }),
    ),
  },
);

export const canaryStrategy = object(
  'Moves traffic from stable to canary step by step.',
  {
    steps: Type.Array(canaryStep, {
      description: 'The steps, run in order. After the last one the canary becomes the new stable.',
      minItems: 1,
      maxItems: maxSteps,
    }),
    analysis: Type.Optional(backgroundAnalysis),
    abortScaleDownDelaySeconds: Type.Optional(
      Type.Integer({
        description:
          'Seconds to keep the canary pods after an abort has moved all traffic back to stable, before scaling them down.',
        minimum: 0,
        maximum: rolloutLimits.abortScaleDownDelaySeconds,
        default: 30,
      }),
    ),
    scaleDownDelaySeconds: Type.Optional(
      Type.Integer({
        description:
          "With a traffic router: seconds the previous stable revision keeps its pods after a promotion moved all traffic to the new one, so that proxies and clients that have not applied the change yet still reach running pods. It keeps them as long as Sluice's stable Service still reads back selecting it, and this long after. Without a router (replica ratio) the old pods go at once: your Service selects them, so they would go on serving.",
        minimum: 0,
        maximum: rolloutLimits.abortScaleDownDelaySeconds,
        default: 30,
      }),
    ),
    scaleDownWhen: Type.Optional(scaleDownWhen),
    dynamicStableScale: Type.Optional(dynamicStableScale),
  },
  celRules({
    rule: '!has(self.analysis) || !has(self.analysis.startingStep) || !has(self.steps) || self.analysis.startingStep < size(self.steps)',
    message: 'startingStep must be the index of one of the steps (0 is the first)',
    fieldPath: '.analysis.startingStep',
  }),
);

export const workloadRef = object('The Deployment whose pod template changes start a canary.', {
  apiVersion: Type.Optional(
    Type.Enum(['apps/v1'], { description: 'API version of the workload.', default: 'apps/v1' }),
  ),
  kind: Type.Optional(
    Type.Enum(['Deployment'], {
      description: 'Kind of the workload; Sluice releases Deployments.',
      default: 'Deployment',
    }),
  ),
  name: objectName("Name of the Deployment, in the Rollout's namespace."),
});

export const serviceSpec = object(
  'Ports of the <rollout>-stable and <rollout>-canary Services that Sluice creates and owns; the traffic router points at them.',
  {
    port: Type.Integer({ description: 'Port the Services listen on.', minimum: 1, maximum: 65535 }),
    targetPort: Type.Optional(
      Type.Union([Type.Integer(), Type.String()], {
        description: 'Container port (number or name) the Services send traffic to. Omitted: the same as port.',
        'x-kubernetes-int-or-string': true,
        // An int-or-string node cannot carry bounds in the schema itself; CEL can.
        ...celRules({
          rule: "type(self) == int ? self >= 1 && self <= 65535 : self.size() <= 15 && self.matches('^[a-z0-9]([-a-z0-9]*[a-z0-9])?$')",
          message:
            'targetPort is a port number from 1 to 65535 or a port name of at most 15 lowercase letters, digits and dashes',
        }),
      }),
    ),
  },
);

/** At most this many managed routes: each is a rule in the user's object, and CEL rules walk the list. */
export const maxManagedRoutes = 8;

/** The most pods a Rollout may ask for: far above any one release, low enough that a typo is refused. */
export const maxReplicas = 10_000;

const routerNames = Object.keys(routerSchemas);

/** Every property optional, keeping each one's static type. */
function optionalAll<T extends Record<string, TSchema>>(properties: T): { [K in keyof T]: TOptional<T[K]> } {
  return Object.fromEntries(Object.entries(properties).map(([k, v]) => [k, Type.Optional(v)])) as {
    [K in keyof T]: TOptional<T[K]>;
  };
}

export const trafficRouting = object(
  'The traffic router that splits requests between stable and canary. Omitted: traffic is split by the ratio of stable to canary pods.',
  {
    ...optionalAll(routerSchemas),
    managedRoutes: Type.Optional(
      mapList(
        'The routes that setHeaderRoute and setMirrorRoute steps may add to the router object, in order of precedence (the first one wins).',
        object('A route that Sluice adds and removes.', {
          name: Type.String({
            description: 'Name of the route, as the steps name it.',
            minLength: 1,
            maxLength: 63,
            pattern: '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$',
          }),
        }),
        ['name'],
        { maxItems: maxManagedRoutes },
      ),
    ),
  },
  celRules({
    rule: `${routerNames.map((n) => `(has(self.${n}) ? 1 : 0)`).join(' + ')} == 1`,
    message: `trafficRouting names exactly one router: ${routerNames.join(', ')} (omit trafficRouting to split by replica ratio)`,
  }),
);

export const gates = object('Conditions that hold the rollout where it is.', {
  freezeFlag: Type.Optional(
    unleashName('Unleash feature flag that freezes the rollout: while it is enabled, no step advances.'),
  ),
});

export const rolloutSpec = object(
  'How a new version is released.',
  {
    workloadRef: Type.Optional(workloadRef),
    pdb: Type.Optional(podDisruptionBudget),
    replicas: Type.Optional(
      Type.Integer({
        description:
          "Pods the Rollout runs at full size; a canary's pods follow weight x replicas. Omitted: the Deployment's replicas (as recorded when Sluice took it over). kubectl scale and a HorizontalPodAutoscaler set it through the scale subresource (an autoscaler needs it set: it does not scale from 0).",
        minimum: 0,
        maximum: maxReplicas,
      }),
    ),
    service: Type.Optional(serviceSpec),
    trafficRouting: Type.Optional(trafficRouting),
    strategy: object(
      'How the new version replaces the old one: exactly one of canary or blueGreen.',
      { canary: Type.Optional(canaryStrategy), blueGreen: Type.Optional(blueGreenStrategy) },
      celRules({
        rule: '(has(self.canary) ? 1 : 0) + (has(self.blueGreen) ? 1 : 0) == 1',
        message: 'strategy has exactly one of canary or blueGreen',
      }),
    ),
    gates: Type.Optional(gates),
    paused: Type.Optional(
      Type.Boolean({
        description: 'Set true to hold the rollout at its current step, false to resume it.',
        default: false,
      }),
    ),
    progressDeadlineSeconds: Type.Optional(
      Type.Integer({
        description: 'Seconds a step may go without progress before the rollout is marked Degraded.',
        minimum: 1,
        maximum: rolloutLimits.progressDeadlineSeconds,
        default: 600,
      }),
    ),
    progressDeadlineAbort: Type.Optional(
      Type.Boolean({
        description:
          'Abort the rollout (all traffic back to stable) when the progress deadline passes, instead of only marking it Degraded.',
        default: false,
      }),
    ),
    restartAt: Type.Optional(restartAtSchema),
    revisionHistoryLimit: Type.Optional(
      Type.Integer({
        description:
          'Old ReplicaSets (scaled to 0, neither stable nor canary) to keep; older ones are deleted. 0 keeps none.',
        minimum: 0,
        maximum: 1000,
        default: 10,
      }),
    ),
    rollbackWindow: Type.Optional(rollbackWindow),
    notifications: Type.Optional(notifications),
  },
  celRules(
    {
      rule: `has(self.workloadRef) || !(${hasPath('self.strategy.canary.steps')}) || self.strategy.canary.steps.all(s, !has(s.setWeight))`,
      message:
        'a Rollout without workloadRef is a flag-only release and moves no traffic: remove its setWeight steps or set workloadRef',
      fieldPath: '.strategy.canary.steps',
    },
    {
      rule: 'has(self.workloadRef) || !has(self.trafficRouting)',
      message:
        'a Rollout without workloadRef is a flag-only release and routes no traffic: remove trafficRouting or set workloadRef',
      fieldPath: '.trafficRouting',
      reason: 'FieldValueForbidden',
    },
    {
      rule: 'has(self.workloadRef) || !has(self.service)',
      message:
        'a Rollout without workloadRef is a flag-only release and has no pods to serve: remove service or set workloadRef',
      fieldPath: '.service',
      reason: 'FieldValueForbidden',
    },
    {
      rule: `!(${hasPath('self.strategy.canary.steps')}) || self.strategy.canary.steps.all(s, (!has(s.setHeaderRoute) || (has(self.trafficRouting) && has(self.trafficRouting.managedRoutes) && self.trafficRouting.managedRoutes.exists(r, r.name == s.setHeaderRoute.name))) && (!has(s.setMirrorRoute) || (has(self.trafficRouting) && has(self.trafficRouting.managedRoutes) && self.trafficRouting.managedRoutes.exists(r, r.name == s.setMirrorRoute.name))))`,
      message:
        'a setHeaderRoute or setMirrorRoute step names a route that spec.trafficRouting.managedRoutes does not list: add {name: <route>} there (its place in the list is its precedence)',
      fieldPath: '.strategy.canary.steps',
    },
    {
      rule: 'has(self.workloadRef) || !has(self.pdb)',
      message: 'a Rollout without workloadRef is a flag-only release and has no pods: remove pdb or set workloadRef',
      fieldPath: '.pdb',
      reason: 'FieldValueForbidden',
    },
    {
      rule: '!has(self.strategy.blueGreen) || (has(self.workloadRef) && has(self.service))',
      message:
        'blueGreen needs workloadRef and service: set the Deployment to release and service.port for the active and preview Services',
      fieldPath: '.strategy.blueGreen',
    },
    {
      rule: `!has(self.strategy.blueGreen) || !(${hasPath('self.trafficRouting.managedRoutes')})`,
      message:
        'blueGreen switches all traffic at once and has no header or mirror steps: remove trafficRouting.managedRoutes',
      fieldPath: '.trafficRouting.managedRoutes',
      reason: 'FieldValueForbidden',
    },
    {
      rule: '!has(self.rollbackWindow) || (has(self.strategy.canary) && has(self.workloadRef))',
      message:
        'rollbackWindow skips canary steps for a rollback of a Deployment: blue-green always runs its preview and analysis, and a flag-only release has no revisions to go back to; remove rollbackWindow',
      fieldPath: '.rollbackWindow',
      reason: 'FieldValueForbidden',
    },
    {
      rule: `has(self.trafficRouting) || !(${hasPath('self.strategy.canary.dynamicStableScale')}) || !self.strategy.canary.dynamicStableScale`,
      message:
        'dynamicStableScale needs trafficRouting: without a router the split follows the pod ratio, so stable cannot shrink by itself (remove dynamicStableScale or set trafficRouting)',
      fieldPath: '.strategy.canary.dynamicStableScale',
      reason: 'FieldValueForbidden',
    },
    {
      rule: `has(self.trafficRouting) || !(${hasPath('self.strategy.canary.scaleDownWhen')})`,
      message:
        'scaleDownWhen needs trafficRouting: without a router the previous revision is scaled down at once, so there is nothing to drain (remove scaleDownWhen or set trafficRouting)',
      fieldPath: '.strategy.canary.scaleDownWhen',
      reason: 'FieldValueForbidden',
    },
    {
      rule: '!has(self.trafficRouting) || has(self.service)',
      message:
        'trafficRouting needs service: set service.port so that Sluice can create the -stable and -canary Services the router sends traffic to',
      fieldPath: '.service',
      reason: 'FieldValueRequired',
    },
  ),
);
