/**
 * A local HTTP receiver for notification stories (node:http on loopback): it records every request, and can be
 * switched between answering 200, answering 503, and not listening at all (connections refused), on the same port.
 */
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { freePort } from '../support/ports.ts';

export interface ReceivedRequest {
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
  /** What the receiver answered: 200 or 503. */
  answered: number;
}

export type ReceiverMode = 'up' | 'unavailable' | 'refusing';

export interface Receiver {
  url: string;
  requests: ReceivedRequest[];
  /** The requests answered 200, de-duplicated by X-Sluice-Delivery when they have one. */
  accepted(): ReceivedRequest[];
  setMode(mode: ReceiverMode): Promise<void>;
  close(): Promise<void>;
}

export async function startReceiver(path = '/hook'): Promise<Receiver> {
  const port = await freePort();
  const requests: ReceivedRequest[] = [];
  let status = 200;
  let server: Server | undefined;
  const listen = async () => {
    const s = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        requests.push({
          path: req.url ?? '',
          headers: req.headers,
          body: Buffer.concat(chunks).toString('utf8'),
          answered: status,
        });
        res.writeHead(status, { 'Content-Type': 'text/plain' }).end(status === 200 ? 'ok' : 'down');
      });
    });
    await new Promise<void>((resolve, reject) => {
      s.once('error', reject);
      s.listen(port, '127.0.0.1', resolve);
    });
    server = s;
  };
  const stop = async () => {
    const s = server;
    server = undefined;
    if (s === undefined) return;
    s.closeAllConnections();
    await new Promise<void>((resolve) => s.close(() => resolve()));
  };
  await listen();
  return {
    url: `http://127.0.0.1:${port}${path}`,
    requests,
    accepted() {
      const seen = new Set<string>();
      return requests.filter((r) => {
        if (r.answered !== 200) return false;
        const id = r.headers['x-sluice-delivery'];
        if (typeof id !== 'string') return true;
        if (seen.has(id)) return false;
        seen.add(id);
        return true;
      });
    },
    async setMode(mode) {
      status = mode === 'unavailable' ? 503 : 200;
      if (mode === 'refusing') await stop();
      else if (server === undefined) await listen();
    },
    close: stop,
  };
}
