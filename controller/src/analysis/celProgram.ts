/**
 * The CEL programs of successCondition / failureCondition, shared by the controller thread (compile, static cost
 * check, validation) and the evaluation worker (celWorker.ts). Nothing here evaluates on the controller thread:
 * cel-js 8 has parse-time structural limits but no runtime cost limit, so a condition such as three nested
 * comprehensions over a range result can run for minutes; evaluation happens in celSandbox.ts's worker, which
 * is ended when it overruns its deadline.
 */
import { Environment, type ASTNode, type ParseResult } from '@marcbachmann/cel-js';
import type { JsonValue } from './provider.ts';

/**
 * The value of `result`: a number for one value, a list for several, a list per series for a range; or a JSON
 * value a provider read (a web endpoint's answer).
 */
export type CelValue = number | number[] | number[][] | JsonValue;

/**
 * How deeply comprehensions (all, exists, map, filter...) may nest. Two covers every judgement of a range result
 * ("every sample of every series"); each further level multiplies the work by the size of the result.
 */
export const maxComprehensionDepth = 2;

/** Macros whose body runs once per element of their target. */
const comprehensions = new Set([
  'all',
  'exists',
  'exists_one',
  'map',
  'filter',
  'transformList',
  'transformMap',
  'sortBy',
]);

/** Conditions are one line of logic; these limits keep parsing itself cheap whatever is written. */
const environment = new Environment({
  limits: { maxAstNodes: 2_000, maxDepth: 64, maxListElements: 100, maxMapEntries: 100, maxCallArguments: 8 },
}).registerVariable('result', 'dyn');

export type Compiled = { ok: true; run: ParseResult } | { ok: false; error: string };

/** Bounded, so that expressions edited over months cannot grow memory without end. */
const cacheLimit = 256;
const cache = new Map<string, Compiled>();

/** How deeply comprehensions nest in an expression: 0 for none, 1 for `result.all(x, x < 1)`, and so on. */
export function comprehensionDepth(node: ASTNode): number {
  if (node.op === 'rcall') {
    const [name, target, args] = node.args;
    const inTarget = comprehensionDepth(target);
    if (comprehensions.has(name) && args.length >= 2) {
      // The first argument names the element; the others run once per element.
      return Math.max(inTarget, 1 + Math.max(0, ...args.slice(1).map(comprehensionDepth)));
    }
    return Math.max(inTarget, 0, ...args.map(comprehensionDepth));
  }
  return Math.max(0, ...childrenOf(node).map(comprehensionDepth));
}

function childrenOf(node: ASTNode): ASTNode[] {
  const found: ASTNode[] = [];
  const visit = (value: unknown): void => {
    if (Array.isArray(value)) value.forEach(visit);
    else if (value !== null && typeof value === 'object' && 'op' in value) found.push(value as ASTNode);
  };
  visit(node.args);
  return found;
}

/**
 * Why an expression is too expensive to evaluate whatever the data, or undefined. Checked before evaluation and
 * when a Rollout is validated, so that the author learns it from the spec rather than from a failed analysis.
 */
export function staticCostProblem(run: ParseResult): string | undefined {
  const depth = comprehensionDepth(run.ast);
  if (depth <= maxComprehensionDepth) return undefined;
  return `it nests ${depth} comprehensions (all, exists, map, filter...), at most ${maxComprehensionDepth} are allowed: each level multiplies the work by the size of the result; compare against an aggregate (e.g. max) instead of element against element`;
}

/** Why an expression is too expensive whatever the data, or undefined (also when it does not parse). */
export function conditionCostProblem(expression: string): string | undefined {
  const compiled = compileCondition(expression);
  if (compiled.ok) return undefined;
  try {
    return staticCostProblem(environment.parse(expression));
  } catch {
    // Not CEL at all: the measurement says so, with the parser's message.
    return undefined;
  }
}

/** Compiles, type-checks and cost-checks an expression once; later calls get the cached program (or error). */
export function compileCondition(expression: string): Compiled {
  const hit = cache.get(expression);
  if (hit !== undefined) {
    // Re-insert: Map keeps insertion order, so the first key is always the least recently used.
    cache.delete(expression);
    cache.set(expression, hit);
    return hit;
  }
  let compiled: Compiled;
  try {
    const run = environment.parse(expression);
    const checked = run.check();
    const tooCostly = staticCostProblem(run);
    if (!checked.valid) compiled = { ok: false, error: checked.error?.summary ?? 'type error' };
    else if (checked.type !== 'bool' && checked.type !== 'dyn')
      compiled = { ok: false, error: `it gives ${checked.type}, not true or false` };
    else if (tooCostly !== undefined) compiled = { ok: false, error: tooCostly };
    else compiled = { ok: true, run };
  } catch (err) {
    compiled = { ok: false, error: celMessage(err) };
  }
  if (cache.size >= cacheLimit) cache.delete(cache.keys().next().value!);
  cache.set(expression, compiled);
  return compiled;
}

export function celMessage(err: unknown): string {
  if (err !== null && typeof err === 'object' && 'summary' in err && typeof err.summary === 'string')
    return err.summary;
  return err instanceof Error ? err.message.split('\n')[0]! : String(err);
}

/** What one evaluation gave: the value, or why it could not be computed. */
export type Evaluated = { value: unknown } | { error: string };

/** Evaluates an expression on this thread. Only the worker calls it: it has no bound on time. */
export function evaluateHere(expression: string, result: CelValue): Evaluated {
  const compiled = compileCondition(expression);
  if (!compiled.ok) return { error: compiled.error };
  try {
    return { value: compiled.run({ result }) };
  } catch (err) {
    return { error: celMessage(err) };
  }
}
