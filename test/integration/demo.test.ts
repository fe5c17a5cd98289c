/**
 * `npm run demo -- --once` as CI runs it: v2 is promoted, v3 is rolled back by analysis, the timeline says how long
 * the rollback took, and the command exits 0 and cleans up after itself.
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../cluster/paths.ts';
import { clusterInfo } from './support.ts';

describe('npm run demo -- --once', () => {
  it('tells the story and exits 0 only because both outcomes happened', { timeout: 300_000 }, async () => {
    clusterInfo(); // the demo reuses the control plane the suite runs on, and leaves it running
    const { stdout } = await promisify(execFile)(process.execPath, [join(repoRoot, 'examples/demo/run.ts'), '--once'], {
      cwd: repoRoot,
      timeout: 280_000,
      maxBuffer: 16 * 1024 * 1024,
    });
    console.log(
      stdout
        .split('\n')
        .filter((l) => /===|promoted|rolled back|time from/.test(l))
        .join('\n'),
    );
    expect(stdout).toMatch(/v2 promoted: it is stable now/);
    expect(stdout).toMatch(
      /v3 rolled back automatically: aborted: background analysis failed: metric error-rate failed: measured 0\.\d+/,
    );
    expect(stdout).toMatch(/time from v3's first error to 100% of traffic on stable: \d+\.\d s/);
    expect(stdout).toMatch(/v2 promoted: yes; v3 rolled back automatically: yes/);
  });
});
