/**
 * Whether the cluster's Sluice CRDs know every field this controller writes. helm installs crds/ only when missing
 * and never upgrades them, so after `helm upgrade` a new controller can run on old CRDs: the API server then prunes
 * the status fields it does not know and answers 200. A controller that writes status it cannot keep loses its
 * decisions (the next reconcile plans from a status without them), so it must not lead until the CRDs are updated.
 *
 * The published OpenAPI v3 schema of sluice.dev/v1alpha1 is compared with the schemas this controller generates
 * its CRDs from. Any authenticated identity may read it (system:discovery grants /openapi/*), so no RBAC is added.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { ResourceDefinition, StructuralSchema } from '../api/crd.ts';
import { toStructuralSchema } from '../api/crd.ts';
import { apiGroup, apiVersionName } from '../api/types.ts';
import { isForbidden, isNotFound } from './apiErrors.ts';

/** The command that brings a cluster's CRDs up to this controller's, for messages. */
export const updateCrdsCommand = 'kubectl apply --server-side -k crds/';

export const openApiPath = `/openapi/v3/apis/${apiGroup}/${apiVersionName}`;

/** The part of an OpenAPI v3 document the comparison reads. */
export interface OpenApiDocument {
  components?: { schemas?: Record<string, StructuralSchema> };
}

const isSchema = (v: unknown): v is StructuralSchema => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * The paths (`Rollout.status.restartedAt`) that `expected` has and `published` lacks. A published node that keeps
 * unknown fields, or that is a $ref (metadata's ObjectMeta), holds whatever is below it.
 */
export function missingFields(expected: StructuralSchema, published: StructuralSchema, path: string): string[] {
  if (published['x-kubernetes-preserve-unknown-fields'] === true || published['allOf'] !== undefined) return [];
  const missing: string[] = [];
  const expectedProps = isSchema(expected['properties']) ? expected['properties'] : {};
  const publishedProps = isSchema(published['properties']) ? published['properties'] : {};
  for (const [name, child] of Object.entries(expectedProps)) {
    const there = publishedProps[name];
    if (!isSchema(there)) missing.push(`${path}.${name}`);
    else if (isSchema(child)) missing.push(...missingFields(child, there, `${path}.${name}`));
  }
  for (const keyword of ['items', 'additionalProperties'] as const) {
    const child = expected[keyword];
    const there = published[keyword];
    if (isSchema(child) && isSchema(there)) missing.push(...missingFields(child, there, `${path}[]`));
    else if (isSchema(child) && isSchema(child['properties']) && !isSchema(there)) missing.push(`${path}[]`);
  }
  return missing;
}

/** What the controller's CRD would hold for a resource: its spec and status, as the generator writes them. */
function ownSchema(def: ResourceDefinition): StructuralSchema {
  const properties: StructuralSchema = { spec: toStructuralSchema(def.spec, 'spec') };
  if (def.status !== undefined) properties['status'] = toStructuralSchema(def.status, 'status');
  return { type: 'object', properties };
}

export type CrdCurrency =
  | { kind: 'current' }
  | { kind: 'behind'; missing: string[] }
  /** The schema could not be read or holds no such kind: no CRD at all is the informers' error to report. */
  | { kind: 'unknown'; reason: string };

/** Compares the published schemas of `defs` with the controller's own. */
export function crdCurrency(document: OpenApiDocument, defs: readonly ResourceDefinition[]): CrdCurrency {
  const schemas = Object.values(document.components?.schemas ?? {});
  const missing: string[] = [];
  for (const def of defs) {
    const published = schemas.find((s) =>
      (s['x-kubernetes-group-version-kind'] as { group?: string; kind?: string }[] | undefined)?.some(
        (gvk) => gvk.group === apiGroup && gvk.kind === def.kind,
      ),
    );
    if (published === undefined)
      return { kind: 'unknown', reason: `the API server publishes no schema of ${def.kind}` };
    missing.push(...missingFields(ownSchema(def), published, def.kind));
  }
  return missing.length === 0 ? { kind: 'current' } : { kind: 'behind', missing };
}

/** The error a user reads when the CRDs are behind: the missing fields and the command that fixes it. */
export function behindMessage(missing: readonly string[]): string {
  const shown = missing.length > 8 ? [...missing.slice(0, 8), `and ${missing.length - 8} more`] : missing;
  return (
    `the ${apiGroup} CRDs in this cluster are older than this controller: they lack ${shown.join(', ')}, which ` +
    `the API server would drop from what the controller writes. Not leading until they are updated: ${updateCrdsCommand} ` +
    '(from this release; helm upgrade does not update CRDs)'
  );
}

export interface CrdCurrencyReport {
  error: (fields: { missing: string[] }, message: string) => void;
  warn: (fields: { reason: string }, message: string) => void;
}

/**
 * One read of the published schemas, compared with `defs`. A read that failed says nothing about the CRDs unless
 * the API server said it will not serve it (403: not allowed; 404: no OpenAPI v3 here), which no retry changes;
 * a 5xx, a 429, a timeout or a lost connection may pass in a second, so it is 'unanswered', to be read again:
 * taken as "cannot tell", one blip from an API server that is restarting would let a controller on old CRDs lead.
 */
async function readCrdCurrency(
  read: (signal: AbortSignal) => Promise<OpenApiDocument>,
  defs: readonly ResourceDefinition[],
  signal: AbortSignal,
): Promise<CrdCurrency | { kind: 'unanswered'; reason: string }> {
  try {
    return crdCurrency(await untilAborted(read(signal), signal), defs);
  } catch (err) {
    if (signal.aborted) throw signal.reason;
    const reason = err instanceof Error ? err.message : String(err);
    return isForbidden(err) || isNotFound(err) ? { kind: 'unknown', reason } : { kind: 'unanswered', reason };
  }
}

/** The pause between reads: one that does not keep the process alive on its own (ref: false). */
const pauseUnref = (ms: number, signal: AbortSignal): Promise<unknown> => sleep(ms, undefined, { signal, ref: false });

/**
 * Resolves once the published CRDs hold every field of `defs` (read again with a growing pause, up to 30s, so that
 * `kubectl apply -k crds/` takes effect without a restart, and a schema the API server is still publishing after
 * a fresh apply costs a second, not 30), or at once when the API server says the schema cannot be read (403 or
 * 404): not reading the schema is no reason to stop a controller. A read that failed otherwise is read again, with
 * the same pause. Rejects only when `signal` aborts, at once: the read and the pause are given it, and not waited
 * for past it.
 */
export async function untilCrdsCurrent(
  read: (signal: AbortSignal) => Promise<OpenApiDocument>,
  defs: readonly ResourceDefinition[],
  report: CrdCurrencyReport,
  signal: AbortSignal,
  pause: (ms: number, signal: AbortSignal) => Promise<unknown> = pauseUnref,
): Promise<void> {
  let reported = '';
  for (let waitMs = 1_000; ; waitMs = Math.min(waitMs * 2, 30_000)) {
    signal.throwIfAborted();
    const currency = await readCrdCurrency(read, defs, signal);
    if (currency.kind === 'current') return;
    if (currency.kind === 'unknown') {
      report.warn({ reason: currency.reason }, `could not compare the ${apiGroup} CRDs with this controller's`);
      return;
    }
    const message =
      currency.kind === 'behind'
        ? behindMessage(currency.missing)
        : `could not read the published ${apiGroup} CRD schemas (${currency.reason}); not leading until they are read, trying again in ${waitMs / 1000}s`;
    if (currency.kind === 'behind' && message !== reported) report.error({ missing: currency.missing }, message);
    // Each failed read is said: the pause grows to 30s, so that is never more than a line every 30s.
    if (currency.kind === 'unanswered') report.warn({ reason: currency.reason }, message);
    reported = message;
    await untilAborted(pause(waitMs, signal), signal);
  }
}

/**
 * Whether this replica may start its workers now that it has taken over the lease: one read, not a wait, as the
 * lease is held and every second here is a second no one reconciles. The start-up check is not enough for a
 * standby: the CRDs may have been replaced by older ones since (an older release's `kubectl apply -k crds/`), and
 * a leader on them loses what it writes. False when they are behind or the read failed in a way that may pass (it
 * cannot lead on CRDs it could not check), each reported; true when current, or when the API server will not
 * serve the schema (403, 404), with a warning, as at start-up. A failed read is tried twice more, 0.5 s and 1 s
 * later: refusing means exiting (the elector's release is final), and one dropped connection at a takeover should
 * not cost a restart.
 */
export async function crdsLetLead(
  read: (signal: AbortSignal) => Promise<OpenApiDocument>,
  defs: readonly ResourceDefinition[],
  report: CrdCurrencyReport,
  signal: AbortSignal,
  pause: (ms: number, signal: AbortSignal) => Promise<unknown> = pauseUnref,
): Promise<boolean> {
  let currency = await readCrdCurrency(read, defs, signal);
  for (const waitMs of [500, 1_000]) {
    if (currency.kind !== 'unanswered') break;
    await untilAborted(pause(waitMs, signal), signal);
    currency = await readCrdCurrency(read, defs, signal);
  }
  switch (currency.kind) {
    case 'current':
      return true;
    case 'unknown':
      report.warn({ reason: currency.reason }, `could not compare the ${apiGroup} CRDs with this controller's`);
      return true;
    case 'behind':
      report.error({ missing: currency.missing }, behindMessage(currency.missing));
      return false;
    case 'unanswered':
      report.warn(
        { reason: currency.reason },
        `could not read the published ${apiGroup} CRD schemas on taking over the lease (${currency.reason}); not leading on CRDs it could not check`,
      );
      return false;
  }
}

/**
 * `work`, or its end when `signal` aborts: a SIGTERM must end the wait at once, and a read or pause that does not
 * heed the signal (a request hung past it, a slow API server) would otherwise hold it until its own deadline.
 */
function untilAborted<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason as Error);
    if (signal.aborted) return onAbort();
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}
