/**
 * The Argo CD health check (manifests/argocd/health.lua) run by a real Lua 5.1 interpreter, as Argo CD runs it
 * (the Rollout as the global `obj`), against Rollouts in every phase as Sluice's planner writes them: given a
 * Rollout Healthy, progressing, paused, aborted or with an invalid spec, then Argo CD sees Healthy, Progressing,
 * Suspended or Degraded. No cluster: SLUICE_TEST_SERVICES= runs it alone.
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import type { Rollout } from '../../controller/src/api/types.ts';
import { baseSpec, SimCluster, withCanary } from '../../controller/src/planner/fixtures.test-support.ts';
import { repoRoot } from '../cluster/paths.ts';

const script = join(repoRoot, 'manifests/argocd/health.lua');

/** A JSON value as a Lua table constructor (null is nil; strings escaped byte for byte). */
function toLua(value: unknown): string {
  if (value === null || value === undefined) return 'nil';
  if (typeof value === 'boolean' || typeof value === 'number') return String(value);
  if (typeof value === 'string') {
    const bytes = [...Buffer.from(value, 'utf8')].map((b) =>
      b >= 0x20 && b < 0x7f && b !== 0x22 && b !== 0x5c ? String.fromCharCode(b) : `\\${b}`,
    );
    return `"${bytes.join('')}"`;
  }
  if (Array.isArray(value)) return `{${value.map(toLua).join(', ')}}`;
  return `{${Object.entries(value as Record<string, unknown>)
    .map(([k, v]) => `[${toLua(k)}] = ${toLua(v)}`)
    .join(', ')}}`;
}

/** What Argo CD would show for `rollout`: runs the script in lua5.1 with the object as the API server returns it. */
async function health(rollout: Rollout): Promise<{ status: string; message: string }> {
  const obj = JSON.parse(JSON.stringify(rollout)) as unknown; // the API server's JSON: no Date, no undefined
  const chunk = `obj = ${toLua(obj)}\nlocal hs = assert(loadfile(${toLua(script)}))()\nio.write(hs.status, "\\t", hs.message or "")`;
  const { stdout } = await promisify(execFile)('lua5.1', ['-e', chunk], { encoding: 'utf8' });
  const [status = '', message = ''] = stdout.split('\t');
  return { status, message };
}

describe('the Argo CD health check for Sluice Rollouts', () => {
  it('is the same script in argocd-cm-health.yaml as in health.lua', () => {
    const cm = parse(readFileSync(join(repoRoot, 'manifests/argocd/argocd-cm-health.yaml'), 'utf8')) as {
      data: Record<string, string>;
    };
    expect(cm.data['resource.customizations.health.sluice.dev_Rollout']).toBe(readFileSync(script, 'utf8'));
  });

  it('says Healthy for a released rollout, Progressing mid-canary, Suspended when paused, Degraded when aborted', async () => {
    const released = new SimCluster(baseSpec());
    released.converge();
    expect(await health(released.rollout)).toEqual({
      status: 'Healthy',
      message: expect.stringMatching(/revision rev-a is stable/) as string,
    });

    const canary = withCanary();
    canary.reconcile(); // waiting for the canary's pods
    expect(canary.rollout.status?.phase).toBe('Progressing');
    expect((await health(canary.rollout)).status).toBe('Progressing');

    canary.converge(); // at the 2 s pause step
    expect(canary.rollout.status?.phase).toBe('Paused');
    expect(await health(canary.rollout)).toEqual({
      status: 'Suspended',
      message: expect.stringMatching(/pause 2s\): paused until/) as string,
    });

    canary.request('abort');
    canary.converge();
    expect(await health(canary.rollout)).toEqual({
      status: 'Degraded',
      message: expect.stringMatching(/aborted/) as string,
    });
  });

  it('says Degraded for an invalid spec, naming the field, and Progressing until the controller sees a new spec', async () => {
    const invalid = new SimCluster(baseSpec());
    invalid.specErrors = [{ field: 'spec.workloadRef.name', code: 'InvalidStep', message: 'no "quote" \\ here' }];
    invalid.reconcile();
    expect(await health(invalid.rollout)).toEqual({
      status: 'Degraded',
      message: 'spec.workloadRef.name: no "quote" \\ here',
    });

    const fresh = new SimCluster(baseSpec());
    expect((await health(fresh.rollout)).status).toBe('Progressing'); // no status yet
    fresh.converge();
    fresh.rollout.metadata.generation = 2; // kubectl apply of a new spec, not yet seen
    expect(await health(fresh.rollout)).toEqual({
      status: 'Progressing',
      message: 'waiting for the Sluice controller to see generation 2',
    });
  });
});

/**
 * Argo CD must never get a Lua error, nor a result it cannot read (its HealthStatus message is a string): a
 * Rollout whose status is not what this Sluice writes (a newer or older controller, a hand-edited status, a CRD
 * whose schema was loosened) must still map to a health. Argo CD runs gopher-lua, a Lua 5.1, which is what these
 * stories run (`ipairs` on a string is an error there).
 */
describe('the Argo CD health check given a status of unexpected types', () => {
  async function rawHealth(obj: unknown): Promise<{ status: string; messageType: string }> {
    const chunk = `obj = ${toLua(obj)}\nlocal hs = assert(loadfile(${toLua(script)}))()\nio.write(tostring(hs.status), "\\t", type(hs.message))`;
    const { stdout } = await promisify(execFile)('lua5.1', ['-e', chunk], { encoding: 'utf8' });
    const [status = '', messageType = ''] = stdout.split('\t');
    return { status, messageType };
  }
  const meta = { name: 'checkout', namespace: 'shop', generation: 2 };

  it.each([
    ['conditions that are not objects', { observedGeneration: 2, phase: 'Healthy', conditions: [1, 2] }],
    ['an observedGeneration that is a string', { observedGeneration: '2', phase: 'Healthy' }],
    ['a message that is not a string', { observedGeneration: 2, phase: 'Healthy', message: { text: 'x' } }],
    [
      'an InvalidSpec message that is a number',
      { observedGeneration: 2, conditions: [{ type: 'InvalidSpec', status: 'True', message: 7 }] },
    ],
  ])('maps %s to a health with a string message', async (_, status) => {
    const hs = await rawHealth({ metadata: meta, status });
    expect(['Healthy', 'Progressing', 'Suspended', 'Degraded', 'Unknown']).toContain(hs.status);
    expect(hs.messageType).toBe('string');
  });
});
