/**
 * Hostile review of issue 20 (the plugin speaks plain JSON instead of client-node's typed CoreV1Api): `kubectl sluice
 * status` and the Events of a Rollout written through events.k8s.io/v1 (admission controllers and policy engines
 * such as Kyverno report on any object that way). Read through core/v1 such an Event has `"lastTimestamp": null`
 * and `"firstTimestamp": null` (metav1.Time is a struct, so omitempty never drops it) and only `eventTime` (a
 * MicroTime) says when it happened.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { run } from './cli.ts';
import { localKubeconfig } from './localKubeconfig.test-support.ts';

let server: Server | undefined;
afterEach(() => server?.close());

const ago = (ms: number) => new Date(Date.now() - ms).toISOString();

/** An API server with one Rollout and the given core/v1 Events about it. */
async function apiServer(events: object[]): Promise<string> {
  const rollout = {
    apiVersion: 'sluice.dev/v1alpha1',
    kind: 'Rollout',
    metadata: { name: 'web', namespace: 'shop', uid: 'u1', creationTimestamp: ago(3_600_000) },
    spec: { workloadRef: { name: 'web' }, strategy: { canary: { steps: [{ setWeight: 50 }] } } },
    status: { phase: 'Progressing', currentStepIndex: 0, canaryWeight: 50 },
  };
  server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    const answer = path.endsWith('/rollouts/web')
      ? rollout
      : path.endsWith('/events')
        ? { kind: 'EventList', items: events }
        : { kind: 'List', items: [] };
    res.writeHead(200, { 'Content-Type': 'application/json' });
    res.end(JSON.stringify(answer));
  });
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const kubeconfig = localKubeconfig(port);
  return kubeconfig;
}

/** An Event as the API server sends a core/v1 one written through events.k8s.io/v1: no lastTimestamp, an eventTime. */
const newApiEvent = (reason: string, msAgo: number) => ({
  metadata: { name: `web.${reason}`, namespace: 'shop' },
  type: 'Warning',
  reason,
  message: `${reason} reported through events.k8s.io`,
  firstTimestamp: null,
  lastTimestamp: null,
  eventTime: ago(msAgo).replace('Z', '000Z'),
  reportingComponent: 'kyverno-admission',
  reportingInstance: 'kyverno-1',
});

const coreEvent = (i: number, msAgo: number) => ({
  metadata: { name: `web.${i}`, namespace: 'shop' },
  type: 'Normal',
  reason: `Step${i}`,
  message: `core event ${i}`,
  firstTimestamp: ago(msAgo),
  lastTimestamp: ago(msAgo),
});

describe('kubectl sluice status, given Events written through events.k8s.io/v1', () => {
  // review: kubectl sluice status prints an events.k8s.io Event's age as "20788d" (cli.ts status: `time:
  // e.lastTimestamp` is null, and age(null) counts from 1970). client-node's typed CoreV1Api turned the null into
  // undefined before `?.toISOString()`, so the plugin printed "<unknown>"; the JSON client hands the null through,
  // and EventJson's type says `string | undefined`, hiding it. An on-call engineer reading status during an incident
  // sees a warning that looks 57 years old and dismisses it. The age should come from eventTime when lastTimestamp
  // is null (as kubectl get events does), or at least not be a fiction.
  it('when an Event has lastTimestamp null and an eventTime 10s ago, then its age is about 10s, not days since 1970', async () => {
    const kubeconfig = await apiServer([coreEvent(1, 60_000), newApiEvent('PolicyViolation', 10_000)]);
    const out: string[] = [];
    const code = await run(['status', 'web', '--kubeconfig', kubeconfig], (s) => out.push(s));
    expect(code).toBe(0);
    const line = out
      .join('\n')
      .split('\n')
      .find((l) => l.includes('PolicyViolation'));
    expect(line).toBeDefined();
    expect(line).not.toMatch(/\d+d\s+Warning/);
    expect(line).toMatch(/^\s*1\ds\s+Warning\s+PolicyViolation/);
  });

  // review: the same null sorts such an Event as the oldest (new Date(null ?? 0)), and status keeps only the last 10:
  // with ten older core/v1 Events the newest warning, the one that explains what is wrong now, is cut from the output.
  it('when ten older core Events exist, then a warning from 5s ago written through events.k8s.io is still shown', async () => {
    const older = Array.from({ length: 10 }, (_, i) => coreEvent(i, 600_000 - i * 1_000));
    const kubeconfig = await apiServer([...older, newApiEvent('PolicyViolation', 5_000)]);
    const out: string[] = [];
    const code = await run(['status', 'web', '--kubeconfig', kubeconfig], (s) => out.push(s));
    expect(code).toBe(0);
    expect(out.join('\n')).toContain('PolicyViolation');
  });
});
