/**
 * Each router's part of spec.trafficRouting, by field name. Kept apart from registry.ts so that the API schema
 * (api/rollout.schema.ts) can import it without importing the routers' code, which imports the API types.
 */
import { gatewayApiSchema } from './gatewayApi/schema.ts';
import { istioSchema } from './istio/schema.ts';
import { nginxSchema } from './nginx/schema.ts';
import { smiSchema } from './smi/schema.ts';

export const routerSchemas = {
  gatewayAPI: gatewayApiSchema,
  istio: istioSchema,
  nginx: nginxSchema,
  smi: smiSchema,
};
