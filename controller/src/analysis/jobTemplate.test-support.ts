/** For the Job template tests (jobTemplate.test.ts and its review): the message a refused template gets. */
import { expect } from 'vitest';
import type { JobProviderSpec } from '../api/jobProvider.schema.ts';
import { AnalysisConfigError } from './errors.ts';
import { buildJob, type JobTemplateContext } from './jobTemplate.ts';

/** Why buildJob refused `t`; fails the test when it was accepted or failed with anything but AnalysisConfigError. */
export function refusalOf(t: JobProviderSpec, c: JobTemplateContext): string {
  try {
    buildJob(t, c);
  } catch (err) {
    expect(err).toBeInstanceOf(AnalysisConfigError);
    return (err as Error).message;
  }
  throw new Error('the template was accepted');
}
