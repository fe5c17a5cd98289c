/**
 * Two projects: `unit` (pure logic, beside the code, no services) and `integration` (stories against the real
 * control plane, Prometheus and Unleash started once by test/setup/global.ts). Results also go to
 * test-results/vitest.json, which .ci/run turns into its `N passed, N failed` line.
 */
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    reporters: ['default', ['json', { outputFile: 'test-results/vitest.json' }]],
    projects: [
      {
        test: {
          name: 'unit',
          include: [
            'controller/**/*.test.ts',
            'dashboard/**/*.test.ts',
            'test/support/**/*.test.ts',
            'examples/**/*.test.ts',
            'bench/**/*.test.ts',
          ],
          environment: 'node',
          // The dashboard's page is built when missing or stale: its tests read the built files.
          globalSetup: ['test/setup/dashboardAssets.ts'],
        },
      },
      {
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          environment: 'node',
          globalSetup: ['test/setup/dashboardAssets.ts', 'test/setup/global.ts'],
          testTimeout: 120_000,
          hookTimeout: 240_000,
          // The API server, Prometheus and Unleash share two cores with the tests: keep to two files at once.
          maxWorkers: 2,
        },
      },
    ],
  },
});
