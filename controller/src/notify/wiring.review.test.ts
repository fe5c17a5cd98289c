import { createHmac, randomBytes } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import pino from 'pino';
import { Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import type { NotificationChannel } from '../api/types.ts';
import type { Caches } from '../reconcile/caches.ts';
import { channel, rolloutWith } from './fixtures.test-support.ts';
import { createNotifier } from './wiring.ts';
import { localKubeConfig } from '../kube/localKubeConfig.test-support.ts';

const servers: Server[] = [];
afterEach(() => {
  for (const s of servers.splice(0)) {
    s.closeAllConnections();
    s.close();
  }
});

async function listen(handle: Parameters<typeof createServer>[1]): Promise<string> {
  const server = createServer(handle);
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

describe('createNotifier: the signing key as the Secret holds it', () => {
  // review: wiring.ts decoded the Secret's bytes as UTF-8 before using them as the HMAC key, so a random binary key
  // (head -c 32 /dev/urandom > key; kubectl create secret --from-file) became other bytes (each invalid sequence
  // U+FFFD): every signature was made with a key the receiver does not have, every delivery got a 401 (refused, not
  // retried), and the docs' verification snippet, which uses the Secret's bytes, could never succeed.
  it('signs with the exact bytes of the Secret, also when they are not UTF-8', async () => {
    const key = Buffer.concat([Buffer.from([0xff, 0xfe, 0x80]), randomBytes(29)]);
    const got: { headers: IncomingHttpHeaders; body: string }[] = [];
    const hook = await listen((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        got.push({ headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
        res.writeHead(200).end();
      });
    });
    const api = await listen((req, res) => {
      res.setHeader('Content-Type', 'application/json');
      if (req.url?.startsWith('/api/v1/namespaces/sluice-system/secrets/hooks'))
        return res.end(JSON.stringify({ kind: 'Secret', apiVersion: 'v1', data: { key: key.toString('base64') } }));
      if (req.url?.startsWith('/api/v1/namespaces/shop'))
        return res.end(JSON.stringify({ kind: 'Namespace', apiVersion: 'v1', metadata: { name: 'shop', labels: {} } }));
      res.writeHead(404).end(JSON.stringify({ kind: 'Status', code: 404, reason: 'NotFound' }));
    });
    const kc = localKubeConfig(api);
    const channels: NotificationChannel[] = [
      channel('ops', { webhook: { url: `${hook}/in`, signingSecret: { name: 'hooks', key: 'key' } } }),
    ];
    const notifier = createNotifier({
      readsKc: kc,
      secretNamespace: 'sluice-system',
      channels: { get: (_ns, name) => channels.find((c) => c.metadata.name === name), list: () => channels },
      caches: { analysisTemplates: { get: () => undefined, list: () => [] } } as unknown as Pick<
        Caches,
        'analysisTemplates' | 'clusterAnalysisTemplates'
      >,
      events: { record: () => undefined },
      registry: new Registry(),
      log: pino({ level: 'silent' }),
    });
    try {
      notifier.notify(rolloutWith({}, [{ channel: 'ops', on: ['Aborted'] }]), undefined, {
        status: { phase: 'Degraded', canaryRevision: 'v2', abort: true, abortedAt: '2026-11-30T12:00:00Z' },
        events: [{ type: 'Warning', reason: 'Aborted', message: 'aborted by a user request' }],
      });
      const end = Date.now() + 5_000;
      while (got.length === 0 && Date.now() < end) await new Promise((r) => setTimeout(r, 10));
      expect(got).toHaveLength(1);
      const [t, v1] = String(got[0]!.headers['x-sluice-signature']).split(',');
      const expected = createHmac('sha256', key)
        .update(`${t!.slice(2)}.${got[0]!.body}`)
        .digest('hex');
      expect(v1).toBe(`v1=${expected}`);
    } finally {
      await notifier.stop(0);
    }
  });
});
