/**
 * An Argo blue-green strategy -> Sluice's. The field names are Argo's and mean the same, with these differences:
 * Sluice always has a preview Service (Argo's is optional), takes an existing Service over rather than only
 * patching its selector (so the selector Argo pinned matters later), and has no per-role pod metadata, anti-affinity
 * or revision limit. Each difference is a Dropped entry with its reason.
 */
import { maxAutoPromotionSeconds } from '../api/blueGreen.schema.ts';
import { rolloutLimits } from '../api/rollout.schema.ts';
import { DropList, ownReason, setIf, type Fields } from './argoRead.ts';
import { convertAnalysis } from './argoSteps.ts';

const path = 'spec.strategy.blueGreen';

const blueGreenReasons: Record<string, string> = {
  maxUnavailable:
    'Sluice keeps the old revision at full size until the switch, and switches once every new pod is available',
  scaleDownDelayRevisionLimit:
    'Sluice keeps only the revision it just replaced running (for scaleDownDelaySeconds); older ones scale down at once',
  antiAffinity: 'Sluice adds no anti-affinity between revisions: set it in the pod template if needed',
  previewMetadata: 'Sluice labels the pods with their revision itself and adds no labels or annotations per role',
  activeMetadata: 'Sluice labels the pods with their revision itself and adds no labels or annotations per role',
};

/** A Service name as the blue-green schema takes it: a DNS-1035 label. */
const serviceNamePattern = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;
const isServiceName = (name: string) => name.length <= 63 && serviceNamePattern.test(name);

export interface ConvertedBlueGreen {
  strategy: Fields;
  active: string;
  preview: string;
}

/** The preview Service when Argo had none: Sluice always runs the preview behind one. */
function previewName(rollout: string, active: string): string {
  const candidate = `${rollout}-preview`;
  return candidate === active ? `${rollout}-green` : candidate;
}

/** The names of the two Services, or undefined (with the reason dropped) when Sluice cannot have them. */
function services(
  blueGreen: Fields,
  rollout: string,
  drops: DropList,
): { active: string; preview: string } | undefined {
  const active = drops.string(blueGreen['activeService'], `${path}.activeService`);
  if (active === undefined || !isServiceName(active)) {
    drops.drop(
      `${path}.activeService`,
      active === undefined
        ? 'not set: Argo requires it, and without the Service users reach there is nothing to switch; the Rollout is not converted'
        : `${JSON.stringify(active)} is not a Service name (a DNS-1035 label): the Rollout is not converted`,
    );
    return undefined;
  }
  const given = drops.string(blueGreen['previewService'], `${path}.previewService`);
  const preview = given ?? previewName(rollout, active);
  if (!isServiceName(preview) || preview === active) {
    drops.drop(
      `${path}.previewService`,
      preview === active
        ? 'is the active Service: Argo refuses that, and so does Sluice; the Rollout is not converted'
        : `${JSON.stringify(preview)} is not a Service name (a DNS-1035 label): the Rollout is not converted`,
    );
    return undefined;
  }
  if (given === undefined)
    drops.drop(
      `${path}.previewService`,
      `note: not set, so Argo reached the new revision through no Service before the switch; Sluice always has a preview Service and creates ${preview}`,
    );
  // Argo pins both selectors to its pods' rollouts-pod-template-hash, and does not take it out when its Rollout
  // goes; Sluice records the selector of a Service it takes over and puts it back when its own Rollout is deleted.
  drops.drop(
    `${path}.activeService`,
    `action: Sluice takes over the Services ${active} and ${preview} where they exist and records their selectors, to put back when the Sluice Rollout is deleted; Argo added rollouts-pod-template-hash to them: remove that key from both selectors after the Argo Rollout is gone and before applying this Rollout (docs/migrating.md, "Blue-green" under "Switching a live service")`,
  );
  return { active, preview };
}

/**
 * An analysis before or after the switch. Argo's blue-green analyses have no startingStep; one written there is
 * dropped rather than taken silently by the canary's reader.
 */
function analysis(value: unknown, field: string, drops: DropList): { converted?: Fields; lost: boolean } {
  const at = `${path}.${field}`;
  const fields = drops.fields(value, at);
  if (fields === undefined) return { lost: value !== undefined && value !== null };
  const { startingStep, ...rest } = fields;
  if (startingStep !== undefined) drops.drop(`${at}.startingStep`, 'Argo blue-green analyses have no startingStep');
  const converted = convertAnalysis(rest, at, drops);
  return converted === undefined ? { lost: true } : { converted, lost: false };
}

export function convertBlueGreen(blueGreen: Fields, rollout: string, drops: DropList): ConvertedBlueGreen | undefined {
  const names = services(blueGreen, rollout, drops);
  if (names === undefined) return undefined;
  const strategy: Fields = { activeService: names.active, previewService: names.preview };
  setIf(
    strategy,
    'previewReplicaCount',
    drops.integer(blueGreen['previewReplicaCount'], `${path}.previewReplicaCount`, 1, 10_000),
  );
  const before = analysis(blueGreen['prePromotionAnalysis'], 'prePromotionAnalysis', drops);
  let autoPromotion = drops.boolean(blueGreen['autoPromotionEnabled'], `${path}.autoPromotionEnabled`);
  if (before.lost) {
    // The check gated the switch: waiting for a person keeps one in its place rather than switching unchecked.
    drops.drop(
      `${path}.prePromotionAnalysis`,
      'converted to autoPromotionEnabled: false (the switch waits for kubectl sluice promote), since the check it ran is not converted (above)',
    );
    autoPromotion = false;
  }
  setIf(strategy, 'autoPromotionEnabled', autoPromotion);
  const seconds = drops.integer(
    blueGreen['autoPromotionSeconds'],
    `${path}.autoPromotionSeconds`,
    0,
    maxAutoPromotionSeconds,
  );
  if (seconds !== undefined && autoPromotion === false)
    drops.drop(
      `${path}.autoPromotionSeconds`,
      before.lost
        ? 'the switch waits for kubectl sluice promote instead, since the check before it is not converted (above)'
        : 'with autoPromotionEnabled false the switch waits for a manual promotion (as Argo does: argoproj/argo-rollouts#2000), and Sluice refuses both together',
    );
  else setIf(strategy, 'autoPromotionSeconds', seconds);
  setIf(strategy, 'prePromotionAnalysis', before.converted);
  const after = analysis(blueGreen['postPromotionAnalysis'], 'postPromotionAnalysis', drops);
  if (after.lost)
    drops.drop(
      `${path}.postPromotionAnalysis`,
      'the check after the switch is not converted (above): the new revision is promoted without it; give the Rollout a postPromotionAnalysis Sluice can run',
    );
  setIf(strategy, 'postPromotionAnalysis', after.converted);
  for (const field of ['scaleDownDelaySeconds', 'abortScaleDownDelaySeconds'])
    setIf(
      strategy,
      field,
      drops.integer(blueGreen[field], `${path}.${field}`, 0, rolloutLimits.abortScaleDownDelaySeconds),
    );
  const handled = ['activeService', 'previewService', 'previewReplicaCount', 'autoPromotionEnabled'];
  handled.push('autoPromotionSeconds', 'prePromotionAnalysis', 'postPromotionAnalysis');
  handled.push('scaleDownDelaySeconds', 'abortScaleDownDelaySeconds');
  drops.rest(blueGreen, path, handled, (f) => ownReason(blueGreenReasons, f) ?? `Sluice blue-green has no ${f}`);
  return { strategy, ...names };
}
