import { ApiException } from '@kubernetes/client-node';
import type { StructuralSchema } from '../api/crd.ts';
import { describe, expect, it } from 'vitest';
import { resources, rolloutResource } from '../api/resources.ts';
import { crdCurrency, missingFields, untilCrdsCurrent } from './crdCurrency.ts';
import { behindDocument, endOnAbort, props, publishedDocument } from './crdCurrency.test-support.ts';

describe("comparing the cluster's published CRD schemas with the controller's own", () => {
  it('given the CRDs of this release, then they are current', () => {
    expect(crdCurrency(publishedDocument(), resources)).toEqual({ kind: 'current' });
  });

  it('given a Rollout CRD from before spec.restartAt and a status field, then both are named', () => {
    const old = publishedDocument((schemas) => {
      const rollout = schemas['dev.sluice.v1alpha1.Rollout']!;
      delete props(props(rollout)['spec'])['restartAt'];
      delete props(props(rollout)['status'])['phase'];
    });
    expect(crdCurrency(old, resources)).toEqual({
      kind: 'behind',
      missing: ['Rollout.spec.restartAt', 'Rollout.status.phase'],
    });
  });

  it('given no schema of a kind (CRDs not installed), then it cannot tell', () => {
    const none = publishedDocument((schemas) => delete schemas['dev.sluice.v1alpha1.Rollout']);
    expect(crdCurrency(none, [rolloutResource]).kind).toBe('unknown');
  });

  it('given a published node that keeps unknown fields, then nothing below it is missing', () => {
    const expected = { type: 'object', properties: { a: { type: 'object', properties: { b: { type: 'string' } } } } };
    expect(missingFields(expected, { type: 'object', properties: { a: { type: 'object' } } }, 'X')).toEqual(['X.a.b']);
    const open = {
      type: 'object',
      properties: { a: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } },
    };
    expect(missingFields(expected, open, 'X')).toEqual([]);
  });

  it('given items and maps, then their fields are compared too', () => {
    const list = (item: StructuralSchema) => ({ type: 'object', properties: { l: { type: 'array', items: item } } });
    const item = { type: 'object', properties: { x: { type: 'string' }, y: { type: 'string' } } };
    const oldItem = { type: 'object', properties: { x: { type: 'string' } } };
    expect(missingFields(list(item), list(oldItem), 'K')).toEqual(['K.l[].y']);
  });
});

describe('waiting for current CRDs before leading', () => {
  const signal = new AbortController().signal;

  it('given CRDs behind, then it reports the fields and the command once, and resolves once they are updated', async () => {
    const behind = behindDocument();
    const answers = [behind, behind, publishedDocument()];
    const errors: string[] = [];
    const pauses: number[] = [];
    await untilCrdsCurrent(
      () => Promise.resolve(answers.shift()!),
      resources,
      { error: (_, m) => errors.push(m), warn: () => expect.fail('no warning') },
      signal,
      (ms) => Promise.resolve(void pauses.push(ms)),
    );
    expect(answers).toEqual([]);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/Rollout\.spec\.restartAt/);
    expect(errors[0]).toContain('kubectl apply --server-side -k crds/');
    expect(pauses).toEqual([1_000, 2_000]);
  });

  // As KubeJsonApi throws it: the status in `code`, which is what says "will not serve it", not the message.
  const refused = (code: number) =>
    new ApiException(code, `GET /openapi/v3/apis/sluice.dev/v1alpha1: HTTP ${code}`, '', {});

  for (const code of [403, 404])
    it(`given a schema the API server will not serve (HTTP ${code}), then it warns and does not hold the controller back`, async () => {
      const warnings: string[] = [];
      await untilCrdsCurrent(
        () => Promise.reject(refused(code)),
        resources,
        { error: () => expect.fail('no error'), warn: (f) => warnings.push(f.reason) },
        signal,
      );
      expect(warnings).toHaveLength(1);
      expect(warnings[0]).toContain(`GET /openapi/v3/apis/sluice.dev/v1alpha1: HTTP ${code}`);
    });

  it('given reads that fail for a while (503, a reset connection, a timeout), then it reads again until it can tell', async () => {
    const reset = Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' });
    const timeout = new DOMException('The operation was aborted due to timeout', 'TimeoutError');
    const answers: (() => Promise<never> | Promise<ReturnType<typeof publishedDocument>>)[] = [
      () => Promise.reject(refused(503)),
      () => Promise.reject(reset),
      () => Promise.reject(timeout),
      () => Promise.resolve(publishedDocument()),
    ];
    const warnings: string[] = [];
    const pauses: number[] = [];
    await untilCrdsCurrent(
      () => answers.shift()!(),
      resources,
      { error: () => expect.fail('no error'), warn: (f) => warnings.push(f.reason) },
      signal,
      (ms) => Promise.resolve(void pauses.push(ms)),
    );
    expect(answers).toEqual([]);
    expect(warnings).toHaveLength(3);
    expect(pauses).toEqual([1_000, 2_000, 4_000]);
  });
});

describe('stopping while waiting for current CRDs', () => {
  it('given CRDs behind and a pause under way, then aborting ends the wait at once, with the signal given to the read', async () => {
    const behind = behindDocument();
    const stop = new AbortController();
    const given: AbortSignal[] = [];
    // The first read is behind: 20 ms later it is in its 1 s pause.
    const outcome = await endOnAbort(
      (signal) => Promise.resolve(void given.push(signal)).then(() => behind),
      stop,
      20,
      200,
    );
    expect(outcome).toBe('rejected');
    expect(given).toEqual([stop.signal]);
  });
});
