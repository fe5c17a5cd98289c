/**
 * Objects the API server must refuse, each with the field its error must name. Every row starts from a valid
 * object (validRollout / validTemplate, themselves checked to be accepted) and breaks one thing.
 */

import type { InvalidCase } from './invalidCase.ts';
import { invalidChannels } from './invalidChannels.ts';
import { invalidRollouts } from './invalidRollouts.ts';
import { invalidTemplates } from './invalidTemplates.ts';

export type { InvalidCase } from './invalidCase.ts';
export { validRollout } from './invalidRollouts.ts';
export { validTemplate } from './invalidTemplates.ts';

export const invalidCases: InvalidCase[] = [...invalidRollouts, ...invalidTemplates, ...invalidChannels];
