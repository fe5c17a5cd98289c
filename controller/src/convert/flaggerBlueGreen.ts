/**
 * Flagger's blue/green (analysis.iterations, no weights, no A/B match) as Sluice's blue-green. Flagger runs the new
 * version beside the primary, reachable on <apex>-canary, checks it `iterations` times, one per interval, then
 * promotes it, clients reaching it through <apex> (Kubernetes provider) or through the mesh's route. Sluice's
 * blue-green does the same with an active and a preview Service; the checks become its pre-promotion analysis.
 */
import { maxAutoPromotionSeconds } from '../api/blueGreen.schema.ts';
import { parseDuration } from '../api/duration.ts';
import { isRecord, type DropList, type Fields, type Json } from './flaggerFields.ts';

const unset = (value: unknown) => value === undefined || value === null;

/** True for Flagger's blue/green: whole iterations, and neither weights (an empty stepWeights is none) nor a match. */
export function isBlueGreen(analysis: unknown): boolean {
  if (!isRecord(analysis)) return false;
  const { iterations, match, stepWeight, stepWeights } = analysis;
  const noWeights =
    unset(stepWeight) && (unset(stepWeights) || (Array.isArray(stepWeights) && stepWeights.length === 0));
  return Number.isInteger(iterations) && (iterations as number) >= 1 && unset(match) && noWeights;
}

export interface BlueGreenServices {
  active: string;
  preview: string;
}

/**
 * The active and preview Services, named as Flagger named its own so that clients and routes keep their names.
 * Without a router clients call <apex>, and the switch moves its selector. With one, the route (named after the
 * apex) sends to <apex>-primary and <apex>-canary as Flagger's did: <apex> as a backend of its own route would loop
 * in a mesh that routes by the root Service (SMI).
 */
export function blueGreenServices(apex: string, routed: boolean): BlueGreenServices {
  return { active: routed ? `${apex}-primary` : apex, preview: `${apex}-canary` };
}

export type BlueGreenSchedule = { iterations: number } | { notConvertible: { path: string; reason: string } };

/** The schedule fields of a blue/green analysis; its checks are read by flaggerMetrics.ts. */
export function readBlueGreenSchedule(analysis: Fields): BlueGreenSchedule {
  // isBlueGreen has checked it.
  const iterations = analysis.int('iterations', 1, 10_000)!;
  if (analysis.bool('mirror') === true)
    return {
      notConvertible: {
        path: analysis.at('mirror'),
        reason:
          "Flagger's blue/green with mirroring: its checks judged copies of live requests, and Sluice's blue-green mirrors nothing, so they would judge an idle preview; the Canary is not converted",
      },
    };
  analysis.drop('mirrorWeight', 'mirrorWeight without mirror: true has no effect');
  analysis.raw('stepWeights'); // empty: isBlueGreen allows no other
  analysis.drop('maxWeight', 'blue/green moves no weights: maxWeight has no effect without stepWeight');
  analysis.drop(
    'stepWeightPromotion',
    'Flagger shifts traffic to the new primary step by step during promotion; Sluice switches at once',
  );
  for (const k of ['primaryReadyThreshold', 'canaryReadyThreshold'])
    analysis.drop(k, 'Sluice waits for all of a revision’s pods to be available');
  return { iterations };
}

/**
 * Sluice's blueGreen. The preview runs at full size, as Flagger's canary did. With checks, they take
 * iterations x interval themselves (one measurement per interval); without, Flagger still waited that long before
 * promoting, which autoPromotionSeconds keeps.
 */
export function blueGreenStrategy(
  services: BlueGreenServices,
  schedule: { iterations: number; interval: string; path: string },
  analysis: Json | undefined,
  drops: DropList,
): Json {
  const strategy: Json = { activeService: services.active, previewService: services.preview };
  if (analysis !== undefined) {
    strategy.prePromotionAnalysis = analysis;
    return strategy;
  }
  const seconds = Math.ceil((parseDuration(schedule.interval) * schedule.iterations) / 1000);
  if (seconds <= maxAutoPromotionSeconds) strategy.autoPromotionSeconds = seconds;
  else {
    strategy.autoPromotionEnabled = false;
    drops.add(
      schedule.path,
      `iterations x interval is ${seconds}s, longer than the ${maxAutoPromotionSeconds}s Sluice waits before switching on its own: converted to autoPromotionEnabled: false (the switch waits for kubectl sluice promote)`,
    );
  }
  return strategy;
}
