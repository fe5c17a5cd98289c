/**
 * The blue-green strategy: the new version runs beside the old one at full size, is checked on a preview Service,
 * then takes all traffic at once; the old one stays warm so that switching back starts no pod. Field names follow
 * Argo Rollouts where the concept is the same. It runs on the canary's machinery (api/blueGreenSteps.ts turns it
 * into steps), so an abort, a read-back and a decision recorded before its effect mean the same here.
 */
import { Type } from 'typebox';
import { celRules, object } from './common.schema.ts';
import { args, rolloutLimits, setFlagStep, templates } from './stepParts.schema.ts';

/** At most this many flags before and after the switch: each is a step, and steps are bounded. */
export const maxSwitchFlags = 16;
/** The longest automatic promotion wait; a longer one is a manual promotion in disguise. */
export const maxAutoPromotionSeconds = 86_400;

/** A Service name is a DNS-1035 label: lowercase letters, digits and dashes, starting with a letter. */
const serviceRef = (description: string) =>
  Type.String({ description, minLength: 1, maxLength: 63, pattern: '^[a-z]([-a-z0-9]*[a-z0-9])?$' });

const blueGreenAnalysis = (description: string) => object(description, { templates, args: Type.Optional(args) });

const switchFlags = (description: string) =>
  Type.Array(object('A feature flag to set, as a setFlag step sets it.', { setFlag: setFlagStep }), {
    description,
    maxItems: maxSwitchFlags,
  });

const seconds = (description: string, max: number, fallback?: number) =>
  Type.Integer({ description, minimum: 0, maximum: max, ...(fallback === undefined ? {} : { default: fallback }) });

export const blueGreenStrategy = object(
  'Runs the new version beside the old one, checks it on the preview Service, then switches all traffic at once.',
  {
    activeService: serviceRef(
      "Service that serves users: Sluice points its selector at the stable revision's pods, and at the new revision's at the switch. Created when missing; an existing one is adopted (its selector is put back when the Rollout is deleted).",
    ),
    previewService: serviceRef(
      'Service that reaches the new revision before the switch (for tests and the pre-promotion analysis). Created when missing; an existing one is adopted.',
    ),
    previewReplicaCount: Type.Optional(
      Type.Integer({
        description:
          'Pods of the new revision before the switch (it scales to full size just before it). Omitted: full size.',
        minimum: 1,
        maximum: 10_000,
      }),
    ),
    autoPromotionEnabled: Type.Optional(
      Type.Boolean({
        description:
          'Switch on its own once the preview is ready and the pre-promotion analysis passed. false: wait for kubectl sluice promote.',
        default: true,
      }),
    ),
    autoPromotionSeconds: Type.Optional(
      seconds(
        'Seconds to wait, once the preview is ready and checked, before switching on its own.',
        maxAutoPromotionSeconds,
      ),
    ),
    prePromotionAnalysis: Type.Optional(
      blueGreenAnalysis(
        'Analysis of the preview before the switch: failure aborts, and the active Service never moves.',
      ),
    ),
    postPromotionAnalysis: Type.Optional(
      blueGreenAnalysis(
        'Analysis after the switch, while the old version still runs at full size: failure switches the active Service back at once.',
      ),
    ),
    prePromotionFlags: Type.Optional(
      switchFlags(
        'Feature flags set just before the switch (put back on abort), so that a flag and a version switch together.',
      ),
    ),
    postPromotionFlags: Type.Optional(switchFlags('Feature flags set just after the switch (put back on abort).')),
    scaleDownDelaySeconds: Type.Optional(
      seconds(
        'Seconds the old version keeps its pods after the new one is promoted, so that proxies and clients that still hold its endpoints drain.',
        rolloutLimits.abortScaleDownDelaySeconds,
        30,
      ),
    ),
    abortScaleDownDelaySeconds: Type.Optional(
      seconds(
        "Seconds to keep the new revision's pods after an abort has switched everything back, before scaling them down.",
        rolloutLimits.abortScaleDownDelaySeconds,
        30,
      ),
    ),
  },
  celRules(
    {
      rule: 'self.activeService != self.previewService',
      message: 'activeService and previewService must be two different Services',
      fieldPath: '.previewService',
    },
    {
      rule: '!has(self.autoPromotionSeconds) || !has(self.autoPromotionEnabled) || self.autoPromotionEnabled',
      message:
        'autoPromotionSeconds has no effect when autoPromotionEnabled is false: remove one of them (false waits for kubectl sluice promote)',
      fieldPath: '.autoPromotionSeconds',
    },
  ),
);
