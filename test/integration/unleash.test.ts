/** The Unleash fixture: a flag created through the Admin API is seen by unleash-client as enabled. */
import { randomBytes } from 'node:crypto';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { initialize, type Unleash } from 'unleash-client';
import { connectUnleash } from '../fixtures/unleash.ts';
import { waitFor } from '../support/wait.ts';

const info = inject('unleash');
const clients: Unleash[] = [];
afterAll(() => clients.forEach((c) => c.destroy()));

describe('the Unleash fixture', () => {
  it('serves a flag made through the Admin API to unleash-client', async () => {
    if (info === null) throw new Error('this suite needs Unleash: include "unleash" in SLUICE_TEST_SERVICES');
    const unleash = connectUnleash(info);
    const on = `fixture-on-${randomBytes(3).toString('hex')}`;
    const off = `fixture-off-${randomBytes(3).toString('hex')}`;
    const env = '/api/admin/projects/default/features';
    for (const name of [on, off]) {
      await unleash.admin('POST', env, { name, type: 'release' });
      await unleash.admin('POST', `${env}/${name}/environments/development/strategies`, {
        name: 'flexibleRollout',
        parameters: { rollout: '100', stickiness: 'default', groupId: name },
      });
    }
    await unleash.admin('POST', `${env}/${on}/environments/development/on`);

    const client = initialize({
      url: `${info.url}/api`,
      appName: 'sluice-tests',
      refreshInterval: 1_000,
      disableMetrics: true,
      customHeaders: { Authorization: info.clientToken },
    });
    clients.push(client);
    await new Promise<void>((resolve, reject) => {
      client.once('synchronized', () => resolve());
      client.once('error', reject);
    });
    // Unleash serves clients from a cache that follows Admin API writes within about a second, so the first
    // synchronization may predate them: wait for a refresh that shows the flag on.
    await waitFor(() => client.isEnabled(on), { timeoutMs: 15_000, what: `unleash-client to see ${on} enabled` });
    expect(client.isEnabled(off)).toBe(false);
  });
});
