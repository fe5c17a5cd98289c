/**
 * The steps and background analysis of an Argo canary. Steps Sluice has no equivalent of are dropped, so the
 * indexes shift: `keptIndex` maps an Argo step index to the Sluice one, for background analysis's startingStep.
 */
import { rolloutLimits } from '../api/rollout.schema.ts';
import { DropList, isFields, ownReason, setIf, type Fields } from './argoRead.ts';

const stepReasons: Record<string, string> = {
  setCanaryScale:
    'Sluice scales the canary with the traffic weight and has no separate canary scale: the step is not converted',
  experiment: 'Sluice has no experiments: the step is not converted',
  plugin: 'Sluice has no step plugins: the step is not converted',
};

function templates(list: Fields[] | undefined, path: string, drops: DropList): Fields[] {
  return (list ?? []).flatMap((ref, i) => {
    const name = drops.string(ref['templateName'], `${path}[${i}].templateName`);
    if (name === undefined) return [];
    const out: Fields = { templateName: name };
    setIf(out, 'clusterScope', drops.boolean(ref['clusterScope'], `${path}[${i}].clusterScope`));
    drops.rest(
      ref,
      `${path}[${i}]`,
      ['templateName', 'clusterScope'],
      () => 'Sluice template references have no such field',
    );
    return [out];
  });
}

function args(list: Fields[] | undefined, path: string, drops: DropList): Fields[] {
  return (list ?? []).flatMap((arg, i) => {
    const at = `${path}[${i}]`;
    const name = drops.string(arg['name'], `${at}.name`);
    if (arg['valueFrom'] !== undefined) {
      drops.drop(
        `${at}.valueFrom`,
        `Sluice passes argument values written out only (no podTemplateHashValue or fieldRef): pass ${name ?? 'it'} a value, or give the template's argument a valueFrom.fieldRef default`,
      );
    }
    const value = drops.string(arg['value'], `${at}.value`);
    drops.rest(arg, at, ['name', 'value', 'valueFrom'], () => 'Sluice analysis arguments have no such field');
    return name === undefined || value === undefined ? [] : [{ name, value }];
  });
}

/** The analysis step or background analysis: templates and args (dryRun and the rest are dropped). */
export function convertAnalysis(analysis: Fields, path: string, drops: DropList): Fields | undefined {
  const refs = templates(drops.list(analysis['templates'], `${path}.templates`), `${path}.templates`, drops);
  const values = args(drops.list(analysis['args'], `${path}.args`), `${path}.args`, drops);
  drops.rest(analysis, path, ['templates', 'args', 'startingStep'], (field) =>
    field === 'dryRun'
      ? 'Sluice sets dryRun on the template metric (spec.metrics[].dryRun), not on the Rollout'
      : `Sluice analysis has no ${field}`,
  );
  if (refs.length === 0) {
    drops.drop(`${path}.templates`, 'no template to run: the analysis is not converted');
    return undefined;
  }
  const out: Fields = { templates: refs };
  if (values.length > 0) out['args'] = values;
  return out;
}

const matchKinds = ['exact', 'prefix', 'regex'];

function headerValue(value: Fields | undefined, path: string, drops: DropList): Fields | undefined {
  const kind = matchKinds.find((k) => typeof value?.[k] === 'string');
  if (value === undefined || kind === undefined) {
    drops.drop(path, 'needs one of exact, prefix or regex: the match is not converted');
    return undefined;
  }
  drops.rest(value, path, [kind], () => `a header value matches one way in Sluice; ${kind} is kept`);
  return { [kind]: value[kind] };
}

function setHeaderRoute(route: Fields, path: string, drops: DropList): Fields | undefined {
  const name = drops.string(route['name'], `${path}.name`);
  if (name === undefined) return undefined;
  const out: Fields = { name };
  const before = drops.entries.length;
  const match = drops.list(route['match'], `${path}.match`);
  if (match !== undefined) {
    out['match'] = match.flatMap((m, i) => {
      const value = headerValue(
        drops.fields(m['headerValue'], `${path}.match[${i}].headerValue`),
        `${path}.match[${i}].headerValue`,
        drops,
      );
      drops.rest(
        m,
        `${path}.match[${i}]`,
        ['headerName', 'headerValue'],
        () => 'Sluice header matches have no such field',
      );
      const headerName = drops.string(m['headerName'], `${path}.match[${i}].headerName`);
      return value === undefined || headerName === undefined ? [] : [{ headerName, headerValue: value }];
    });
  }
  if (drops.entries.length > before) {
    // The matches are all required: one less lets more requests through to the canary than the original did.
    drops.drop(path, widened('header route', 'users to the canary'));
    return undefined;
  }
  drops.rest(route, path, ['name', 'match'], () => 'Sluice header routes have no such field');
  return out;
}

const widened = (what: string, more: string) =>
  `part of this ${what}'s match was not converted (above), and without it the route would send more ${more} than the original: the step is not converted; write it by hand with a match Sluice can express`;

/**
 * Argo's mirror match is a list of alternatives (ORed), each with method, path and a map of headers; Sluice's is
 * one list of headers, all required. The first alternative's headers carry; the rest is dropped, saying so.
 */
function setMirrorRoute(route: Fields, path: string, drops: DropList): Fields | undefined {
  const name = drops.string(route['name'], `${path}.name`);
  if (name === undefined) return undefined;
  const match = drops.list(route['match'], `${path}.match`);
  // Argo removes the route when match is omitted; Sluice when percentage is 0.
  if (match === undefined) return { name, percentage: 0 };
  const before = drops.entries.length;
  const percentage = drops.integer(route['percentage'], `${path}.percentage`, 0, 100) ?? 100;
  const headers: Fields[] = [];
  let widenedAt = drops.entries.length > before;
  match.forEach((alternative, i) => {
    const at = `${path}.match[${i}]`;
    if (i > 0) {
      drops.drop(
        at,
        'Sluice mirrors one match (headers, all required), not alternatives: this alternative is not mirrored',
      );
      return;
    }
    for (const field of ['method', 'path'])
      if (alternative[field] !== undefined)
        drops.drop(`${at}.${field}`, `Sluice mirror routes match headers only, not the ${field}`);
    const byName = drops.fields(alternative['headers'], `${at}.headers`) ?? {};
    for (const [headerName, value] of Object.entries(byName)) {
      const converted = headerValue(
        drops.fields(value, `${at}.headers.${headerName}`),
        `${at}.headers.${headerName}`,
        drops,
      );
      if (converted !== undefined) headers.push({ headerName, headerValue: converted });
    }
    drops.rest(alternative, at, ['method', 'path', 'headers'], () => 'Sluice mirror matches have no such field');
    // Dropping the other alternatives narrows the mirror; losing part of this one (or the percentage) widens it.
    if (drops.entries.length > before) widenedAt = true;
  });
  if (widenedAt) {
    drops.drop(path, widened('mirror route', 'copies of requests (writes among them) to the canary'));
    return undefined;
  }
  drops.rest(route, path, ['name', 'percentage', 'match'], () => 'Sluice mirror routes have no such field');
  return { name, percentage, ...(headers.length > 0 ? { match: headers } : {}) };
}

function convertStep(step: Fields, path: string, drops: DropList): Fields | undefined {
  const actions = Object.keys(step);
  if (actions.length !== 1) {
    drops.drop(path, `a step has exactly one action in Sluice (found ${actions.join(', ') || 'none'}): not converted`);
    return undefined;
  }
  const [action] = actions as [string];
  const at = `${path}.${action}`;
  const value = step[action];
  if (action === 'setWeight') {
    const weight = drops.integer(value, at, 0, 100);
    return weight === undefined ? undefined : { setWeight: weight };
  }
  if (action === 'pause') {
    const pause = drops.fields(value, at) ?? {};
    const duration = drops.duration(pause['duration'], `${at}.duration`, rolloutLimits.pause);
    if (pause['duration'] !== undefined && duration === undefined)
      drops.drop(at, 'without a duration Sluice can read the pause waits until the rollout is promoted');
    drops.rest(pause, at, ['duration'], () => 'Sluice pauses have no such field');
    return { pause: duration === undefined ? {} : { duration } };
  }
  const converters: Record<string, () => Fields | undefined> = {
    analysis: () => convertAnalysis(drops.fields(value, at) ?? {}, at, drops),
    setHeaderRoute: () => setHeaderRoute(drops.fields(value, at) ?? {}, at, drops),
    setMirrorRoute: () => setMirrorRoute(drops.fields(value, at) ?? {}, at, drops),
  };
  // Own keys only: a step named constructor or __proto__ must not reach Object.prototype's members.
  const converted = Object.hasOwn(converters, action) ? converters[action]!() : undefined;
  if (converted !== undefined) return { [action]: converted };
  if (action === 'analysis') {
    // The check gated the steps after it: holding here keeps a person in its place rather than promoting past it.
    drops.drop(
      at,
      'converted to a pause until the rollout is promoted by hand, since the check it ran is not converted (above)',
    );
    return { pause: {} };
  }
  if (!['analysis', 'setHeaderRoute', 'setMirrorRoute'].includes(action))
    drops.drop(at, ownReason(stepReasons, action) ?? `Sluice has no ${action} step: not converted`);
  return undefined;
}

export interface ConvertedSteps {
  steps: Fields[];
  /** The Sluice index of the first step kept at or after an Argo index. */
  keptIndex: (argoIndex: number) => number;
}

/**
 * `value` is the input's steps as they are: indexes here are Argo's (a step that is not an object is dropped where
 * it stands), so paths name the right step and startingStep maps to the step it meant.
 */
export function convertSteps(value: unknown, path: string, drops: DropList): ConvertedSteps {
  const kept: number[] = [];
  const list: unknown[] = drops.list(value, path) === undefined ? [] : (value as unknown[]);
  const steps = list.flatMap((step, i) => {
    if (!isFields(step)) return [];
    const converted = convertStep(step, `${path}[${i}]`, drops);
    if (converted === undefined) return [];
    kept.push(i);
    return [converted];
  });
  return { steps, keptIndex: (argoIndex) => kept.filter((i) => i < argoIndex).length };
}
