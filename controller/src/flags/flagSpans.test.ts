/**
 * The Unleash spans, through the real UnleashAdmin against a local server: a flag operation is a trace of its own
 * linked to the reconcile, each Admin API request its child, and the admin token in no span.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { FinishedSpan } from '../trace/span.ts';
import { RecordingTracer } from '../trace/tracer.ts';
import { traceFlagOperation } from './flagSpans.ts';
import { UnleashAdmin } from './unleashAdmin.ts';

let server: Server;
let url: string;
let status: number;
beforeEach(async () => {
  status = 200;
  server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      res.writeHead(status, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify({ name: 'production', enabled: true, strategies: [] }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterEach(() => new Promise<void>((resolve) => server.close(() => resolve())));

const flag = { name: 'new-checkout', project: 'shop', environment: 'production' };

function traced() {
  const ended: FinishedSpan[] = [];
  const tracer = new RecordingTracer({ onEnd: (s) => ended.push(s), sampleRatio: 1 });
  const admin = new UnleashAdmin({ url, adminToken: 'admin-t0ken-55', tracer });
  return { ended, tracer, admin };
}

describe('spans of Unleash operations', () => {
  it('links the operation to the reconcile and makes each Admin API request its child', async () => {
    const { ended, tracer, admin } = traced();
    const reconcile = tracer.startSpan('sluice.reconcile');
    const result = await tracer.withSpan(reconcile, () =>
      traceFlagOperation({ tracer, scheduledBy: reconcile }, { kind: 'read', flag }, () => admin.read(flag)),
    );
    expect(result.ok).toBe(true);
    const operation = ended.at(-1)!;
    expect(operation.name).toBe('sluice.flag.read');
    expect(operation.links).toEqual([reconcile.context]);
    expect(operation.traceId).not.toBe(reconcile.context!.traceId);
    const requests = ended.slice(0, -1);
    expect(requests.length).toBeGreaterThan(0);
    for (const request of requests) {
      expect(request.name).toBe('unleash GET');
      expect(request.parentSpanId).toBe(operation.spanId);
      expect(request.attributes.get('http.response.status_code')).toBe(200);
      expect(request.attributes.get('url.path')).toBe(
        '/api/admin/projects/shop/features/new-checkout/environments/production',
      );
    }
    expect(JSON.stringify(ended.map((s) => [...s.attributes, s.status]))).not.toContain('admin-t0ken-55');
  });

  it('marks a refused operation as an error with its failure kind', async () => {
    status = 401;
    const { ended, tracer, admin } = traced();
    const result = await traceFlagOperation({ tracer, scheduledBy: undefined }, { kind: 'read', flag }, () =>
      admin.read(flag),
    );
    expect(result.ok).toBe(false);
    const operation = ended.at(-1)!;
    expect(operation.status.code).toBe('error');
    expect(operation.attributes.get('sluice.flag.failure')).toBe('auth');
    expect(ended[0]!.status).toEqual({ code: 'error', message: 'HTTP 401' });
  });
});
