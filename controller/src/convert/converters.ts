/** The converters `kubectl sluice convert` tries, in order: each takes the apiVersions and kinds of one tool. */
import { convertArgo } from './argo.ts';
import type { Converter } from './conversion.ts';
import { convertFlagger } from './flagger.ts';

export const converters: readonly Converter[] = [convertArgo, convertFlagger];
