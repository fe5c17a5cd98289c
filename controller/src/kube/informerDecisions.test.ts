import { describe, expect, it } from 'vitest';
import { isGone } from './apiErrors.ts';
import {
  forCache,
  lastAppliedAnnotation,
  nextStep,
  resyncDelayMs,
  watchFailure,
  type RestartReason,
} from './informerDecisions.ts';
import { configMapsRef } from './resourceRef.ts';

const ended = (reason: RestartReason, progressed: boolean) => ({
  reason,
  progressed,
  resourceVersion: '42',
  error: undefined,
});

describe('after a watch ends, the informer', () => {
  it('watches again from the last resourceVersion at once when the API server closed a watch that worked', () => {
    expect(nextStep(ended('closed', true))).toEqual({
      resourceVersion: '42',
      resetBackoff: true,
      dropConnections: false,
      backOff: false,
    });
  });

  it('backs off when the API server closes every watch before anything arrives, so that it does not spin', () => {
    expect(nextStep(ended('closed', false))).toMatchObject({
      resourceVersion: '42',
      resetBackoff: false,
      backOff: true,
    });
  });

  it('backs off after an error, having forgotten old failures if the watch had delivered something', () => {
    expect(nextStep(ended('error', true))).toMatchObject({ resourceVersion: '42', resetBackoff: true, backOff: true });
    expect(nextStep(ended('error', false))).toMatchObject({ resetBackoff: false, backOff: true });
  });

  it('lists again after 410 Gone, since the resourceVersion is too old to watch from', () => {
    expect(nextStep(ended('expired', true))).toMatchObject({ resourceVersion: undefined, backOff: false });
    expect(nextStep(ended('expired', false))).toMatchObject({ resourceVersion: undefined, backOff: true });
  });

  it('after the watchdog fired, drops pooled connections and watches again at once: the timeout was the wait', () => {
    expect(nextStep(ended('stalled', false))).toEqual({
      resourceVersion: '42',
      resetBackoff: false,
      dropConnections: true,
      backOff: false,
    });
    for (const reason of ['closed', 'error', 'expired', 'resync'] as const)
      expect(nextStep(ended(reason, false)).dropConnections).toBe(false);
  });

  it('on a resync, goes on at once; the loop relists because the resync is due', () => {
    expect(nextStep(ended('resync', true))).toMatchObject({ resourceVersion: '42', backOff: false });
  });
});

describe('the periodic relist', () => {
  it('is due resyncPeriodMs after the last list, and never with a period of 0', () => {
    expect(resyncDelayMs(1_000, 5_000, 5_200)).toBe(800);
    expect(resyncDelayMs(1_000, 5_000, 6_000)).toBe(0);
    expect(resyncDelayMs(1_000, 5_000, 9_000)).toBe(0);
    expect(resyncDelayMs(0, 5_000, 9_000)).toBeUndefined();
  });
});

describe('a watch ERROR event', () => {
  it('means list again for 410 Gone, and back off for anything else; other events are not failures', () => {
    const gone = watchFailure('ConfigMap', {
      type: 'ERROR',
      object: { code: 410, reason: 'Expired', message: 'too old resource version: 1 (7)' },
    });
    expect(gone?.reason).toBe('expired');
    expect(gone?.error.message).toBe('ConfigMap watch error 410 Expired: too old resource version: 1 (7)');
    expect(watchFailure('ConfigMap', { type: 'ERROR', object: { code: 500, reason: 'InternalError' } })?.reason).toBe(
      'error',
    );
    expect(watchFailure('ConfigMap', { type: 'ERROR', object: {} })?.error.message).toBe('ConfigMap watch error ? : ');
    expect(watchFailure('ConfigMap', { type: 'MODIFIED', object: { metadata: { name: 'a' } } })).toBeUndefined();
  });

  it('410 as the HTTP status of the watch request is read the same way', () => {
    expect(isGone({ code: 410 })).toBe(true);
    expect(isGone({ code: 500 })).toBe(false);
    expect(isGone(new Error('gone'))).toBe(false);
    expect(isGone(undefined)).toBe(false);
  });
});

describe('what the cache keeps of an object', () => {
  it('gives list items of built-in kinds the apiVersion and kind that watch events carry', () => {
    expect(forCache({ metadata: { name: 'a', namespace: 'shop' } }, configMapsRef)).toEqual({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'a', namespace: 'shop' },
    });
  });

  it("leaves out managedFields and kubectl's last-applied copy, and keeps every other annotation", () => {
    const obj = {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: {
        name: 'a',
        managedFields: [{ manager: 'kubectl' }],
        annotations: { [lastAppliedAnnotation]: '{"big":1}', team: 'payments' },
      },
      data: { k: 'v' },
    };
    expect(forCache(obj, configMapsRef)).toEqual({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'a', annotations: { team: 'payments' } },
      data: { k: 'v' },
    });
    expect(obj.metadata.managedFields).toHaveLength(1); // the object given is not changed: the caller may hold it
  });

  it('returns an object that needs nothing as it is, without a copy', () => {
    const obj = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'a', annotations: { team: 'payments' } } };
    expect(forCache(obj, configMapsRef)).toBe(obj);
  });
});
