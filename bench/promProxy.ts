/**
 * A counting proxy in front of Prometheus: the AnalysisTemplates point at it, so it sees every query the
 * controller sends (and nothing else: the benchmark asks Prometheus directly). Counts are kept per value of
 * the `service` label in the query, which is one rollout's analysis here.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface PromProxy {
  url: string;
  /** Queries (any /api/v1/ request) seen since the last reset, by the service they name ('' for none). */
  counts(): Map<string, number>;
  reset(): void;
  close(): Promise<void>;
}

export async function startPromProxy(target: string): Promise<PromProxy> {
  let counts = new Map<string, number>();
  const server: Server = createServer((req, res) => {
    const url = req.url ?? '/';
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = chunks.length === 0 ? undefined : Buffer.concat(chunks);
      if (url.startsWith('/api/v1/')) {
        // Sluice POSTs a form (query=...); a GET carries it in the URL.
        const form = new URLSearchParams(
          req.method === 'POST' ? (body?.toString('utf8') ?? '') : new URL(url, 'http://proxy').search,
        );
        const service = /service="([^"]+)"/.exec(form.get('query') ?? '')?.[1] ?? '';
        counts.set(service, (counts.get(service) ?? 0) + 1);
      }
      const headers: Record<string, string> = {};
      if (req.headers['content-type'] !== undefined) headers['content-type'] = req.headers['content-type'];
      fetch(`${target}${url}`, { method: req.method ?? 'GET', headers, body, signal: AbortSignal.timeout(10_000) })
        .then(async (r) =>
          res
            .writeHead(r.status, { 'content-type': r.headers.get('content-type') ?? 'application/json' })
            .end(Buffer.from(await r.arrayBuffer())),
        )
        .catch((err: unknown) => res.writeHead(502).end(String(err)));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    counts: () => new Map(counts),
    reset: () => (counts = new Map()),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
