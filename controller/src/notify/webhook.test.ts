import { createHmac, timingSafeEqual } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { aborted } from './fixtures.test-support.ts';
import { webhookRequest } from './webhook.ts';

const now = new Date('2026-11-30T12:00:05Z');
const spec = {
  webhook: {
    url: 'https://hooks.example.com/sluice',
    signingSecret: { name: 'hooks', key: 'signing-key' },
    headers: [
      { name: 'Authorization', value: 'Bearer t0k' },
      { name: 'x-sluice-signature', value: 'forged' },
      { name: 'content-type', value: 'text/plain' },
    ],
  },
  dashboardURL: 'https://sluice.example.com/',
  runbookURL: 'https://wiki.example.com/runbooks/rollouts',
};

/** What a receiver does: recompute the HMAC over "<t>.<body>" and compare in constant time. */
function verify(secret: string, header: string, body: string): boolean {
  const m = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(header);
  if (!m) return false;
  const expected = createHmac('sha256', secret).update(`${m[1]}.${body}`).digest();
  return timingSafeEqual(expected, Buffer.from(m[2]!, 'hex'));
}

describe('webhookRequest', () => {
  it('posts the exact JSON body with the delivery id, the event and a signature the Secret verifies', () => {
    const req = webhookRequest(aborted, spec, 's3cret', now);
    expect(JSON.parse(req.body)).toEqual({
      id: aborted.id,
      event: 'Aborted',
      rollout: { namespace: 'shop', name: 'checkout', revision: '7f6b5c4d2' },
      reason: 'Aborted',
      message: aborted.message,
      failedMetric: { name: 'error-rate', value: '0.31', condition: 'failure when result >= 0.1' },
      dashboardURL: 'https://sluice.example.com/#/rollouts/shop/checkout',
      runbookURL: 'https://wiki.example.com/runbooks/rollouts',
      time: '2026-11-30T12:00:00.000Z',
    });
    expect(req.url).toBe('https://hooks.example.com/sluice');
    expect(req.headers['X-Sluice-Delivery']).toBe(aborted.id);
    expect(req.headers['X-Sluice-Event']).toBe('Aborted');
    const signature = req.headers['X-Sluice-Signature']!;
    expect(signature.startsWith(`t=${now.getTime() / 1000},v1=`)).toBe(true);
    expect(verify('s3cret', signature, req.body)).toBe(true);
    expect(verify('another', signature, req.body)).toBe(false);
    expect(verify('s3cret', signature, req.body.replace('0.31', '0.01'))).toBe(false);
  });

  it("keeps a channel's extra headers but never lets them replace Sluice's own", () => {
    const req = webhookRequest(aborted, spec, 's3cret', now);
    expect(req.headers.Authorization).toBe('Bearer t0k');
    expect(Object.keys(req.headers).filter((h) => /signature|content-type/i.test(h))).toEqual([
      'Content-Type',
      'X-Sluice-Signature',
    ]);
    expect(req.headers['Content-Type']).toBe('application/json');
  });

  it('leaves out what the notification and the channel do not have', () => {
    const { failedMetric: _, ...plain } = aborted;
    const req = webhookRequest(plain, { webhook: spec.webhook }, 'k', now);
    expect(Object.keys(JSON.parse(req.body) as object)).toEqual([
      'id',
      'event',
      'rollout',
      'reason',
      'message',
      'time',
    ]);
  });
});
