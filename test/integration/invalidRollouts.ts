/** Rollouts the API server must refuse: each starts from validRollout (or a flag-only release) and breaks one thing. */
import {
  atLeast,
  atMost,
  mustBe,
  pattern,
  required,
  unknownField,
  unsupported,
  type InvalidCase,
  type Spec,
} from './invalidCase.ts';

const workload = { workloadRef: { name: 'checkout' } };
const steps = (...list: unknown[]): Spec => ({ strategy: { canary: { steps: list } } });
const canary = (more: Spec): Spec => ({ strategy: { canary: { steps: [{ setWeight: 10 }], ...more } } });
const analysis = (more: Spec) => ({ analysis: { templates: [{ templateName: 'error-rate' }], ...more } });
const flag = (more: Spec) => ({ setFlag: { name: 'new-checkout-flow', rollout: 10, ...more } });

/** A Rollout spec that the API server accepts, and the bases of the rows below. */
export const validRollout: Spec = {
  ...workload,
  service: { port: 80 },
  trafficRouting: { gatewayAPI: { httpRoute: 'checkout' } },
  ...steps({ setWeight: 10 }, { pause: {} }),
};

const rollout = (title: string, spec: Spec, field: string, says: RegExp): InvalidCase => ({
  title,
  kind: 'Rollout',
  spec,
  field,
  says,
});

export const invalidRollouts: InvalidCase[] = [
  // Steps
  rollout(
    'a step with two actions',
    { ...workload, ...steps({ setWeight: 10, pause: {} }) },
    'spec.strategy.canary.steps[0]',
    /a step has exactly one action/,
  ),
  rollout(
    'a step with no action',
    { ...workload, ...steps({ setWeight: 10 }, {}) },
    'spec.strategy.canary.steps[1]',
    /a step has exactly one action/,
  ),
  rollout('no steps', { ...workload, ...steps() }, 'spec.strategy.canary.steps', /at least 1 items/),
  rollout(
    'more steps than the limit',
    { ...workload, ...steps(...Array.from({ length: 65 }, () => ({ pause: {} }))) },
    'spec.strategy.canary.steps',
    /at most 64 items/,
  ),
  rollout(
    'setWeight above 100',
    { ...workload, ...steps({ setWeight: 101 }) },
    'spec.strategy.canary.steps[0].setWeight',
    atMost(100),
  ),
  rollout(
    'setWeight below 0',
    { ...workload, ...steps({ setWeight: -1 }) },
    'spec.strategy.canary.steps[0].setWeight',
    atLeast(0),
  ),
  rollout(
    'setWeight as a string',
    { ...workload, ...steps({ setWeight: 'ten' }) },
    'spec.strategy.canary.steps[0].setWeight',
    mustBe('integer'),
  ),
  rollout(
    'setWeight with a fraction',
    { ...workload, ...steps({ setWeight: 12.5 }) },
    'spec.strategy.canary.steps[0].setWeight',
    mustBe('integer'),
  ),
  rollout(
    'a pause duration in words',
    { ...workload, ...steps({ pause: { duration: '5 minutes' } }) },
    'spec.strategy.canary.steps[0].pause.duration',
    pattern,
  ),
  rollout(
    'a negative pause duration',
    { ...workload, ...steps({ pause: { duration: '-1s' } }) },
    'spec.strategy.canary.steps[0].pause.duration',
    pattern,
  ),
  rollout(
    'a pause duration without a unit',
    { ...workload, ...steps({ pause: { duration: 30 } }) },
    'spec.strategy.canary.steps[0].pause.duration',
    mustBe('string'),
  ),
  rollout(
    'an analysis step with no templates',
    { ...workload, ...steps(analysis({ templates: [] })) },
    'spec.strategy.canary.steps[0].analysis.templates',
    /at least 1 items/,
  ),
  rollout(
    'an analysis step without templates',
    { ...workload, ...steps({ analysis: { args: [] } }) },
    'spec.strategy.canary.steps[0].analysis.templates',
    required,
  ),
  rollout(
    'the same template twice in one step',
    {
      ...workload,
      ...steps(analysis({ templates: [{ templateName: 'error-rate' }, { templateName: 'error-rate' }] })),
    },
    'spec.strategy.canary.steps[0].analysis.templates[1]',
    /Duplicate value/,
  ),
  rollout(
    'the same argument twice',
    {
      ...workload,
      ...steps(
        analysis({
          args: [
            { name: 'service', value: 'a' },
            { name: 'service', value: 'b' },
          ],
        }),
      ),
    },
    'spec.strategy.canary.steps[0].analysis.args[1]',
    /Duplicate value/,
  ),
  rollout(
    'an argument without a value',
    { ...workload, ...steps(analysis({ args: [{ name: 'service' }] })) },
    'spec.strategy.canary.steps[0].analysis.args[0].value',
    required,
  ),
  rollout(
    'a flag rollout above 100%',
    { ...workload, ...steps(flag({ rollout: 150 })) },
    'spec.strategy.canary.steps[0].setFlag.rollout',
    atMost(100),
  ),
  rollout(
    'an unknown onAbort',
    { ...workload, ...steps(flag({ onAbort: 'keep' })) },
    'spec.strategy.canary.steps[0].setFlag.onAbort',
    unsupported,
  ),
  rollout(
    'a flag name with spaces',
    { ...workload, ...steps(flag({ name: 'new checkout' })) },
    'spec.strategy.canary.steps[0].setFlag.name',
    pattern,
  ),
  rollout(
    'a misspelt step action',
    { ...workload, ...steps({ setWeigth: 10 }) },
    'spec.strategy.canary.steps[0].setWeigth',
    unknownField,
  ),
  // The canary strategy
  rollout('no strategy', { ...workload }, 'spec.strategy', required),
  rollout(
    'background analysis starting after the last step',
    { ...workload, ...canary({ analysis: { templates: [{ templateName: 'error-rate' }], startingStep: 1 } }) },
    'spec.strategy.canary.analysis.startingStep',
    /index of one of the steps/,
  ),
  rollout(
    'a negative abortScaleDownDelaySeconds',
    { ...workload, ...canary({ abortScaleDownDelaySeconds: -5 }) },
    'spec.strategy.canary.abortScaleDownDelaySeconds',
    atLeast(0),
  ),
  // Workload, service and routing
  rollout(
    'a flag-only rollout with setWeight',
    { ...steps(flag({}), { setWeight: 10 }) },
    'spec.strategy.canary.steps',
    /without workloadRef is a flag-only release/,
  ),
  rollout(
    'a flag-only rollout with trafficRouting',
    { trafficRouting: { smi: { trafficSplitName: 'x' } }, ...steps(flag({})) },
    'spec.trafficRouting',
    /flag-only release and routes no traffic/,
  ),
  rollout(
    'a flag-only rollout with a service',
    { service: { port: 80 }, ...steps(flag({})) },
    'spec.service',
    /flag-only release and has no pods/,
  ),
  rollout(
    'trafficRouting without a service',
    { ...workload, trafficRouting: { gatewayAPI: { httpRoute: 'checkout' } }, ...steps({ setWeight: 5 }) },
    'spec.service',
    /trafficRouting needs service/,
  ),
  rollout(
    'dynamicStableScale without trafficRouting',
    { ...workload, ...canary({ dynamicStableScale: true }) },
    'spec.strategy.canary.dynamicStableScale',
    /dynamicStableScale needs trafficRouting/,
  ),
  rollout(
    'scaleDownWhen without trafficRouting',
    {
      ...workload,
      ...canary({ scaleDownWhen: { analysis: { templates: [{ templateName: 'old-traffic' }] } } }),
    },
    'spec.strategy.canary.scaleDownWhen',
    /scaleDownWhen needs trafficRouting/,
  ),
  rollout(
    'two routers',
    { ...validRollout, trafficRouting: { gatewayAPI: { httpRoute: 'a' }, nginx: { stableIngress: 'a' } } },
    'spec.trafficRouting',
    /exactly one router/,
  ),
  rollout(
    'trafficRouting without a router',
    { ...validRollout, trafficRouting: {} },
    'spec.trafficRouting',
    /exactly one router/,
  ),
  rollout(
    'istio without a VirtualService',
    { ...validRollout, trafficRouting: { istio: { routes: ['primary'] } } },
    'spec.trafficRouting.istio.virtualService',
    required,
  ),
  rollout(
    'a workload that is not a Deployment',
    { ...validRollout, workloadRef: { kind: 'StatefulSet', name: 'db' } },
    'spec.workloadRef.kind',
    unsupported,
  ),
  rollout(
    'a workload name that is not a Kubernetes name',
    { ...validRollout, workloadRef: { name: 'Checkout_v2' } },
    'spec.workloadRef.name',
    pattern,
  ),
  rollout('service port 0', { ...validRollout, service: { port: 0 } }, 'spec.service.port', atLeast(1)),
  rollout(
    'a targetPort out of range',
    { ...validRollout, service: { port: 80, targetPort: 70000 } },
    'spec.service.targetPort',
    /port number from 1 to 65535 or a port name/,
  ),
  {
    ...rollout(
      'a Rollout name too long for its Services',
      validRollout,
      'metadata.name',
      /Sluice names its Services <name>-stable and <name>-canary/,
    ),
    name: `checkout-${'x'.repeat(50)}`,
  },
  {
    ...rollout(
      "a Rollout name too long for its pods' label",
      { ...workload, ...steps({ setWeight: 10 }) },
      'metadata.name',
      /label value is at most 63/,
    ),
    name: `checkout-${'x'.repeat(55)}`,
  },
  // Top-level fields
  rollout('paused as a string', { ...validRollout, paused: 'yes' }, 'spec.paused', mustBe('boolean')),
  rollout(
    'a progress deadline of 0',
    { ...validRollout, progressDeadlineSeconds: 0 },
    'spec.progressDeadlineSeconds',
    atLeast(1),
  ),
  rollout(
    'an empty freeze flag',
    { ...validRollout, gates: { freezeFlag: '' } },
    'spec.gates.freezeFlag',
    /at least 1 chars/,
  ),
  rollout(
    'a restartAt that is no time',
    { ...validRollout, restartAt: 'yesterday' },
    'spec.restartAt',
    mustBe('date-time'),
  ),
  rollout(
    'a restartAt on a day the calendar lacks',
    { ...validRollout, restartAt: '2026-02-31T12:00:00Z' },
    'spec.restartAt',
    mustBe('date-time'),
  ),
  rollout(
    'a restartAt without a zone',
    { ...validRollout, restartAt: '2026-11-30T12:00:00' },
    'spec.restartAt',
    pattern,
  ),
  rollout('an unknown spec field', { ...validRollout, progressDeadline: '10m' }, 'spec.progressDeadline', unknownField),
  rollout(
    'a rollback window of 11 revisions',
    { ...validRollout, rollbackWindow: { revisions: 11 } },
    'spec.rollbackWindow.revisions',
    atMost(10),
  ),
  rollout(
    'a rollback window on blue-green',
    {
      ...workload,
      service: { port: 80 },
      rollbackWindow: { revisions: 2 },
      strategy: { blueGreen: { activeService: 'checkout-active', previewService: 'checkout-preview' } },
    },
    'spec.rollbackWindow',
    /blue-green always runs its preview and analysis/,
  ),
];
