/**
 * The web metric provider's spec, as Argo Rollouts' web provider has it: an HTTP request to an endpoint that
 * answers JSON, and a JSONPath that picks the measured value out of the answer. The bounds are the schema's; the
 * controller checks the same ones (validate.ts) and the host allowlist (analysis/providerPolicy.ts).
 */
import { Type } from 'typebox';
import { celRules, duration, mapList, object, secretKeySelector, text } from './common.schema.ts';

/** The web provider's timeout when the spec names none; at most metricLimits.timeout (the schema's bound). */
export const webDefaultTimeout = '10s';

/** The longest JSONPath accepted: a path into a health answer is a few segments. */
export const maxJsonPathLength = 512;

export const webHeader = object(
  'An HTTP header sent with each request.',
  {
    key: Type.String({
      description: 'Header name.',
      minLength: 1,
      maxLength: 256,
      pattern: "^[A-Za-z0-9!#$%&'*+.^_`|~-]+$",
    }),
    value: Type.Optional(text('Header value; may contain {{args.<name>}}.', { maxLength: 4096 })),
    valueFrom: Type.Optional(
      object("Reads the header value from a Secret of the Rollout's namespace.", { secretKeyRef: secretKeySelector }),
    ),
  },
  celRules({
    rule: '(has(self.value) ? 1 : 0) + (has(self.valueFrom) ? 1 : 0) == 1',
    message: 'a header takes exactly one of value or valueFrom',
  }),
);

export function webProviderSchema(maxTimeout: string) {
  return object(
    'Measures with an HTTP request to an endpoint that answers JSON; the value at jsonPath is the result.',
    {
      url: Type.String({
        description:
          'URL of the endpoint, http or https. {{args.<name>}} may sit in the path or query (not the host or port) and is replaced by the argument, URL-encoded: it cannot add a path segment or a query parameter. Redirects are not followed.',
        maxLength: 2048,
        // The host and port are written out: no placeholder (no braces) before the path.
        pattern: '^https?://[^\\s/?#{}]+([/?#][^\\s]*)?$',
      }),
      method: Type.Optional(
        Type.Enum(['GET', 'POST', 'PUT'], { description: 'HTTP method: GET, POST or PUT.', default: 'GET' }),
      ),
      headers: Type.Optional(mapList('HTTP headers sent with each request.', webHeader, ['key'], { maxItems: 16 })),
      body: Type.Optional(
        text(
          'Request body, for POST and PUT. {{args.<name>}} is replaced by the argument; when the Content-Type is JSON (the default with a body) it is escaped for a JSON string, so it cannot add fields.',
          { maxLength: 16_384 },
        ),
      ),
      jsonPath: text(
        "Where the result is in the JSON answer, in kubectl/Argo form: {$.data.ok}, {$.checks[0].status}, {$.items[*].value}, $['key']. A path that matches nothing is no data; several matches are a list.",
        { minLength: 1, maxLength: maxJsonPathLength },
      ),
      timeout: Type.Optional(
        duration(
          'How long one request may take before the measurement is an error.',
          { default: webDefaultTimeout },
          maxTimeout,
        ),
      ),
    },
    celRules({
      rule: "!has(self.body) || (has(self.method) && self.method != 'GET')",
      message: 'a body is sent only with POST or PUT: set method, or remove body',
      fieldPath: '.body',
    }),
  );
}
