/**
 * A Canary's spec.analysis schedule as Sluice steps. Flagger advances one weight per analysis.interval when the
 * checks pass and promotes one interval after reaching the last weight, so each weight becomes setWeight then
 * pause {duration: interval}, and promotion follows the last pause. Mirroring in a canary release is a pre-stage
 * (one interval of shadow traffic before the first weight). A/B testing (match + iterations) sends the matching
 * requests to the canary for iterations x interval, then promotes. Blue/green (iterations alone) is not a schedule of
 * steps: flaggerBlueGreen.ts converts it.
 */
import { maxHeaderMatches, maxSteps } from '../api/rollout.schema.ts';
import { formatDuration, parseDuration } from '../api/duration.ts';
import { routerModules } from '../routers/registry.ts';
import { Fields, type Json } from './flaggerFields.ts';
import type { SluiceRouter } from './flaggerRouting.ts';

export interface StepsResult {
  steps: Json[];
  managedRoutes: string[];
  /** Why the Canary cannot be converted at all, when it cannot. */
  notConvertible?: { path: string; reason: string };
}

const mirrorRoute = 'mirror';

function supports(router: SluiceRouter | undefined, what: 'header' | 'mirror'): boolean {
  const module = routerModules.find((m) => m.name === router);
  return module?.supports[what] === true;
}

/** Flagger's weights: stepWeights as given, else stepWeight, 2 x stepWeight, ... capped at maxWeight. */
function weightsOf(analysis: Fields): number[] {
  const list = analysis.list('stepWeights');
  const step = analysis.int('stepWeight', 1, 100);
  const max = analysis.int('maxWeight', 1, 100) ?? 100;
  if (list !== undefined) {
    if (step !== undefined) analysis.drops.add(analysis.at('stepWeight'), 'Flagger uses stepWeights when both are set');
    const ok = list.filter((w): w is number => typeof w === 'number' && Number.isInteger(w) && w >= 0 && w <= 100);
    if (ok.length !== list.length)
      analysis.drops.add(analysis.at('stepWeights'), 'entries that are not whole numbers from 0 to 100 were left out');
    return ok;
  }
  if (step === undefined) return [];
  const weights: number[] = [];
  for (let w = step; ; w += step) {
    weights.push(Math.min(w, max));
    if (w >= max) break;
  }
  return weights;
}

/** At most `room` weights: every weight past that is thinned out evenly, keeping the last. */
function thin(weights: number[], room: number): number[] {
  if (weights.length <= room) return weights;
  const kept = Array.from({ length: room }, (_, i) => weights[Math.round(((i + 1) * weights.length) / room) - 1]!);
  return [...new Set(kept)];
}

/** Istio HTTPMatchRequest entries as managed header routes; one route per entry, since entries are ORed. */
function headerRoutes(analysis: Fields, router: SluiceRouter | undefined): { name: string; match: Json[] }[] {
  const list = analysis.list('match') ?? [];
  const routes: { name: string; match: Json[] }[] = [];
  if (list.length > 0 && !supports(router, 'header')) {
    analysis.drops.add(
      analysis.at('match'),
      `A/B routing by header needs a router that routes by header (istio, gatewayAPI, nginx); ${router ?? 'no router'} was converted`,
    );
    return [];
  }
  list.forEach((entry, i) => {
    const before = analysis.drops.entries.length;
    let lost = false;
    const f = new Fields(entry, `${analysis.at('match')}[${i}]`, analysis.drops);
    const headers = f.obj('headers');
    f.dropRest('Sluice routes by request headers only');
    const match: Json[] = [];
    for (const [name, value] of Object.entries(headers?.value ?? {})) {
      const v = new Fields(value, headers!.at(name), analysis.drops);
      const exact = v.has('exact') ? v.raw('exact') : undefined;
      const prefix = v.str('prefix');
      const regex = v.str('regex');
      v.dropRest('Sluice matches a header exactly, by prefix or by regex');
      const headerValue =
        typeof exact === 'string'
          ? { exact }
          : prefix !== undefined
            ? { prefix }
            : regex !== undefined
              ? { regex }
              : undefined;
      if (headerValue !== undefined) match.push({ headerName: name.toLowerCase(), headerValue });
      else {
        lost = true;
        analysis.drops.add(headers!.at(name), 'needs exact, prefix or regex as a string: not converted');
      }
    }
    // An entry's conditions are all required: without one of them the route would let more users in.
    if (lost || analysis.drops.entries.length > before) {
      analysis.drops.add(
        f.path,
        'part of this match was not converted (above), and the rest alone would send more users to the canary than the original: the entry is not converted; write it by hand with headers Sluice can match',
      );
      return;
    }
    if (match.length === 0 || match.length > maxHeaderMatches) {
      analysis.drops.add(
        f.path,
        `a match needs 1 to ${maxHeaderMatches} header conditions Sluice can read: not converted`,
      );
      return;
    }
    routes.push({ name: list.length === 1 ? 'ab-test' : `ab-test-${i}`, match });
  });
  return routes;
}

export function convertSteps(analysis: Fields, router: SluiceRouter | undefined, interval: string): StepsResult {
  const drops = analysis.drops;
  const weights = weightsOf(analysis);
  const iterations = analysis.int('iterations', 1, 10_000);
  const mirror = analysis.bool('mirror') === true;
  const mirrorWeight = analysis.int('mirrorWeight', 0, 100);
  const hasMatch = analysis.has('match');
  const routes = hasMatch ? headerRoutes(analysis, router) : [];
  analysis.raw('match');
  analysis.drop(
    'stepWeightPromotion',
    'Flagger shifts traffic to the new primary step by step during promotion; Sluice promotes at once after the last step',
  );
  for (const k of ['primaryReadyThreshold', 'canaryReadyThreshold'])
    analysis.drop(k, 'Sluice waits for all of a revision’s pods to be available');

  // Blue/green (no weights set at all) does not come here: these are weights set but not readable (above).
  if (iterations !== undefined && !hasMatch && weights.length === 0) {
    return {
      steps: [],
      managedRoutes: [],
      notConvertible: {
        path: analysis.at('iterations'),
        reason:
          "iterations with weights that did not convert (above): the analysis is neither a canary Sluice can step through nor Flagger's blue/green (which has no weights); the Canary is not converted",
      },
    };
  }

  const steps: Json[] = [];
  // A new object per step: a shared one would print as a YAML alias.
  const pause = () => ({ pause: { duration: interval } });
  if (hasMatch && iterations !== undefined) {
    if (weights.length > 0)
      drops.add(analysis.at('stepWeight'), 'A/B testing (match with iterations) moves no weight: not converted');
    if (mirror) drops.add(analysis.at('mirror'), 'mirroring is not converted with A/B testing');
    if (routes.length === 0) return { steps: [], managedRoutes: [], notConvertible: undefined };
    for (const r of routes) steps.push({ setHeaderRoute: r });
    steps.push({ pause: { duration: formatDuration(parseDuration(interval) * iterations) } });
    return { steps, managedRoutes: routes.map((r) => r.name) };
  }
  if (hasMatch)
    drops.add(
      analysis.at('match'),
      'match without iterations (session affinity or a match on the weighted route) is not converted',
    );
  if (iterations !== undefined)
    drops.add(analysis.at('iterations'), 'iterations apply to A/B testing and blue/green; weights were converted');

  const managedRoutes: string[] = [];
  if (mirror && !supports(router, 'mirror')) {
    drops.add(
      analysis.at('mirror'),
      `mirroring needs a router that mirrors (istio, gatewayAPI); ${router ?? 'no router'} was converted`,
    );
  } else if (mirror) {
    managedRoutes.push(mirrorRoute);
    steps.push({ setMirrorRoute: { name: mirrorRoute, percentage: mirrorWeight ?? 100 } }, pause());
    steps.push({ setMirrorRoute: { name: mirrorRoute, percentage: 0 } });
  } else if (mirrorWeight !== undefined) {
    drops.add(analysis.at('mirrorWeight'), 'mirrorWeight without mirror: true has no effect');
  }
  const room = Math.floor((maxSteps - steps.length) / 2);
  const kept = thin(weights, room);
  if (kept.length !== weights.length)
    drops.add(
      analysis.at(analysis.has('stepWeights') ? 'stepWeights' : 'stepWeight'),
      `${weights.length} weights need more than the ${maxSteps} steps Sluice allows: kept ${kept.join(', ')}`,
    );
  for (const w of kept) steps.push({ setWeight: w }, pause());
  return { steps, managedRoutes };
}
