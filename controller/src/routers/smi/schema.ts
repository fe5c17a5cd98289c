/** spec.trafficRouting.smi: the TrafficSplit whose backend weights Sluice sets. */
import { Type } from 'typebox';
import { object, objectName } from '../../api/common.schema.ts';

export const smiSchema = object('SMI: Sluice sets the backend weights of a TrafficSplit.', {
  trafficSplitName: objectName("Name of the TrafficSplit in the Rollout's namespace."),
  rootService: Type.Optional(
    objectName(
      'Service the clients call (the TrafficSplit spec.service). Set: Sluice creates the TrafficSplit, owned by the Rollout, when it does not exist. Omitted: the TrafficSplit is yours and must exist.',
    ),
  ),
});
