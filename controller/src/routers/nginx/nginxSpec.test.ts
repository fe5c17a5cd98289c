import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import type { Rollout } from '../../api/types.ts';
import { nginxSpecError } from './nginxSpec.ts';

const examples = join(import.meta.dirname, '..', '..', '..', '..', 'examples');
const exampleRollout = (dir: string) =>
  parseAllDocuments(readFileSync(join(examples, dir, 'rollout.yaml'), 'utf8'))
    .map((d) => d.toJS() as Rollout)
    .find((o) => o.kind === 'Rollout')!;

describe('nginxSpecError', () => {
  it.each(['nginx', 'nginx-header-routing'])('passes examples/%s', (dir) => {
    expect(nginxSpecError(exampleRollout(dir))).toBeUndefined();
  });

  it('refuses a header ingress-nginx cannot read and an empty exact value, naming the match', () => {
    const rollout = exampleRollout('nginx-header-routing');
    const match = rollout.spec.strategy.canary!.steps[0]!.setHeaderRoute!.match![0]!;
    match.headerName = 'x.user';
    expect(nginxSpecError(rollout)).toMatchObject({
      field: 'spec.strategy.canary.steps[0].setHeaderRoute.match[0].headerName',
    });
    match.headerName = 'x-user';
    match.headerValue = { exact: '' };
    expect(nginxSpecError(rollout)).toMatchObject({
      field: 'spec.strategy.canary.steps[0].setHeaderRoute.match[0].headerValue.exact',
    });
  });
});
