/**
 * The provider conformance suite (conformance.test-support.ts) for web, against a real HTTP server on loopback
 * that answers each scenario. JSON has no NaN or infinity: the nan scenario is the string "NaN" (what an endpoint
 * that means NaN writes; Argo's web provider hands it to the condition as a string, which cannot compare it to a
 * number, so it is an Error, never a pass), and the inf scenario is 1e999, a JSON number that JavaScript, like
 * Go's float parsing, reads as +Infinity (which the engine never lets pass).
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll } from 'vitest';
import { AnswerBudget } from './answerBudget.ts';
import { providerConformance, type Scenario } from './conformance.test-support.ts';
import { webMetricProvider } from './web.ts';

const answers: Record<Scenario, { status: number; body: string; delayMs?: number }> = {
  pass: { status: 200, body: '{"value":1}' },
  fail: { status: 200, body: '{"value":500}' },
  empty: { status: 200, body: '{"other":1}' },
  error: { status: 500, body: '{"value":1}' },
  nan: { status: 200, body: '{"value":"NaN"}' },
  inf: { status: 200, body: '{"value":1e999}' },
  notANumber: { status: 200, body: '{"value":"ok"}' },
  slow: { status: 200, body: '{"value":1}', delayMs: 3_000 },
};

let server: Server | undefined;
let base = '';

beforeAll(async () => {
  server = createServer((req, res) => {
    const answer = answers[(req.url ?? '/').slice(1) as Scenario];
    const send = () => {
      if (res.destroyed) return;
      res.writeHead(answer?.status ?? 404, { 'Content-Type': 'application/json' });
      res.end(answer?.body ?? '{}');
    };
    if (answer?.delayMs === undefined) send();
    else setTimeout(send, answer.delayMs).unref();
  });
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server?.closeAllConnections();
  await new Promise((resolve) => server?.close(resolve));
});

providerConformance('web', {
  providers: () => ({ web: webMetricProvider({ budget: new AnswerBudget(16 * 1024 * 1024), allowedHosts: [] }) }),
  provider: (scenario) =>
    Promise.resolve({
      web: { url: `${base}/${scenario}`, jsonPath: '{$.value}', timeout: scenario === 'slow' ? '1s' : '5s' },
    }),
});
