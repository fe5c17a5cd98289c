import { describe, expect, it } from 'vitest';
import { cloudEventRequest } from './cloudEvents.ts';
import { aborted } from './fixtures.test-support.ts';
import { notificationBody } from './message.ts';

const now = new Date('2026-11-30T12:00:05Z');
const spec = { cloudEvents: { url: 'http://broker.knative.example/default' } };

describe('cloudEventRequest', () => {
  it('is a CloudEvents 1.0 structured-mode event with the notification as data', () => {
    const req = cloudEventRequest(aborted, spec, undefined, now);
    expect(req.headers['Content-Type']).toBe('application/cloudevents+json');
    expect(JSON.parse(req.body)).toEqual({
      specversion: '1.0',
      id: aborted.id,
      source: '/apis/sluice.dev/v1alpha1/namespaces/shop/rollouts/checkout',
      type: 'dev.sluice.rollout.Aborted',
      subject: 'shop/checkout',
      time: '2026-11-30T12:00:00.000Z',
      datacontenttype: 'application/json',
      data: notificationBody(aborted, spec),
    });
    expect(req.headers['X-Sluice-Signature']).toBeUndefined();
  });

  it('is signed when the channel names a signing key', () => {
    const req = cloudEventRequest(
      aborted,
      { cloudEvents: { ...spec.cloudEvents, signingSecret: { name: 's', key: 'k' } } },
      'key',
      now,
    );
    expect(req.headers['X-Sluice-Signature']).toMatch(/^t=\d+,v1=[0-9a-f]{64}$/);
  });
});
