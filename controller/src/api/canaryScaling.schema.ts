/**
 * How a canary behind a traffic router sizes its revisions: stable shrinking as the canary grows
 * (dynamicStableScale), and the previous stable scaled down once it has drained (scaleDownWhen). Apart from
 * rollout.schema.ts to keep that file readable.
 */
import { Type } from 'typebox';
import { object } from './common.schema.ts';
import { args, drainingRevisionArg, templates } from './stepParts.schema.ts';

export const scaleDownWhen = object(
  'With a traffic router: scale the previous stable revision down as soon as it has drained, rather than only at the end of scaleDownDelaySeconds.',
  {
    analysis: object(
      `Analysis of the previous stable revision, started once the promotion's switch reads back: its success (drained) scales that revision down at once; a failure, an inconclusive run or an error keeps its pods until scaleDownDelaySeconds (never sooner) and never aborts the promoted release. Its templates get the argument ${drainingRevisionArg} from Sluice: the revision being drained (the sluice.dev/revision label of its pods).`,
      { templates, args: Type.Optional(args) },
    ),
  },
);

export const dynamicStableScale = Type.Boolean({
  description:
    "With a traffic router: stable shrinks as the canary grows, to ceil(replicas x (100 - weight)%) pods for the larger of the stable shares the router reads back and the step wants, so that a canary costs no extra pods. The trade-off: an abort is no longer instant. It scales stable back up first and moves traffic back only as stable's pods become ready (stable never gets more than its ready pods carry; status says how many pods it waits for). Omitted or false: stable keeps its full size and an abort moves all traffic at once.",
});
