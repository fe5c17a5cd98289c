/**
 * Revisions: a short hash that names a pod template (or, for a flag-only Rollout, its steps). Equal content gives
 * an equal revision on every controller and across restarts, so the revision is safe to keep in status and labels.
 */
import { createHash } from 'node:crypto';

/** JSON with object keys sorted, so that key order never changes a hash. */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/** 10 hex digits of SHA-256: short enough for a label value and a name suffix, long enough never to collide here. */
export function revisionOf(content: unknown): string {
  return createHash('sha256').update(canonicalJson(content)).digest('hex').slice(0, 10);
}
