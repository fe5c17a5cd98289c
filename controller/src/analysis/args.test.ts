import { describe, expect, it } from 'vitest';
import type { Rollout, TemplateArg } from '../api/types.ts';
import { readField, redact, renderQuery, renderText, resolveArgs, type ArgContext, type ResolvedArgs } from './args.ts';
import { AnalysisConfigError } from './errors.ts';

const rollout: Rollout = {
  apiVersion: 'sluice.dev/v1alpha1',
  kind: 'Rollout',
  metadata: {
    name: 'checkout',
    namespace: 'shop',
    labels: { app: 'checkout', 'example.com/team': 'payments' },
    generation: 3,
  },
  spec: { workloadRef: { name: 'checkout' }, strategy: { canary: { steps: [{ setWeight: 10 }] } } },
};

const secrets: Record<string, string> = { 'shop/prom/token': 's3cr3t-token', 'shop/prom/tenant': 'acme' };

function ctx(more: Partial<ArgContext> = {}): ArgContext {
  return {
    rollout,
    readSecret: (ns, name, key) => secrets[`${ns}/${name}/${key}`],
    template: 'AnalysisTemplate shop/error-rate',
    argsField: 'spec.strategy.canary.steps[2].analysis.args',
    ...more,
  };
}

function args(values: Record<string, string>): ResolvedArgs {
  return { values: new Map(Object.entries(values)), secrets: [] };
}

function configError(fn: () => unknown): AnalysisConfigError {
  try {
    fn();
  } catch (err) {
    if (err instanceof AnalysisConfigError) return err;
    throw err;
  }
  throw new Error('expected an AnalysisConfigError');
}

describe('resolveArgs', () => {
  const declared: TemplateArg[] = [
    { name: 'service' },
    { name: 'window', value: '1m' },
    { name: 'tenant', valueFrom: { secretKeyRef: { name: 'prom', key: 'tenant' } } },
    { name: 'name', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
    { name: 'team', valueFrom: { fieldRef: { fieldPath: "metadata.labels['example.com/team']" } } },
  ];

  it('takes a passed value first, then the default, a Secret or a field of the Rollout', () => {
    const resolved = resolveArgs(
      declared,
      [
        { name: 'service', value: 'checkout' },
        { name: 'window', value: '5m' },
      ],
      ctx(),
    );
    expect(Object.fromEntries(resolved.values)).toEqual({
      service: 'checkout',
      window: '5m',
      tenant: 'acme',
      name: 'checkout',
      team: 'payments',
    });
    expect(resolved.secrets).toEqual(['acme']);
  });

  it('uses the template default when the Rollout passes none', () => {
    expect(resolveArgs(declared, [{ name: 'service', value: 'x' }], ctx()).values.get('window')).toBe('1m');
  });

  it('says which argument has no value and where to pass it', () => {
    const err = configError(() => resolveArgs(declared, [], ctx()));
    expect(err.code).toBe('MissingArg');
    expect(err.field).toBe('spec.strategy.canary.steps[2].analysis.args');
    expect(err.message).toBe(
      'argument "service" of AnalysisTemplate shop/error-rate has no value: add {name: service, value: ...} to spec.strategy.canary.steps[2].analysis.args, or give it a value in the template',
    );
  });

  it('names the Secret and key that are missing, without any secret value', () => {
    const err = configError(() =>
      resolveArgs([{ name: 'token', valueFrom: { secretKeyRef: { name: 'prom', key: 'nope' } } }], [], ctx()),
    );
    expect(err.code).toBe('SecretNotFound');
    expect(err.field).toBe('AnalysisTemplate shop/error-rate spec.args[0].valueFrom.secretKeyRef');
    expect(err.message).toContain('Secret shop/prom has no key "nope" (or does not exist): create it');
  });

  it('names a fieldPath that the Rollout does not have', () => {
    const err = configError(() =>
      resolveArgs([{ name: 'owner', valueFrom: { fieldRef: { fieldPath: "metadata.labels['owner']" } } }], [], ctx()),
    );
    expect(err.code).toBe('FieldNotFound');
    expect(err.message).toContain("the Rollout has no field metadata.labels['owner']: set it on the Rollout");
  });
});

describe('readField', () => {
  it.each([
    ['metadata.name', 'checkout'],
    ['metadata.namespace', 'shop'],
    ["metadata.labels['app']", 'checkout'],
    ['metadata.labels["example.com/team"]', 'payments'],
    ['metadata.generation', '3'],
    ['spec.strategy.canary.steps[0].setWeight', '10'],
    ['metadata.uid', undefined],
    ['spec.nothing.deeper', undefined],
  ])('reads %s as %s', (path, value) => {
    expect(readField(rollout, path, 'f')).toBe(value);
  });

  it.each(['.metadata.name', 'metadata..name', 'metadata.labels[app]', "metadata['labels']name", 'metadata name'])(
    'refuses the malformed path %s',
    (path) => {
      expect(configError(() => readField(rollout, path, 'f')).message).toMatch(/cannot read fieldPath/);
    },
  );

  it('refuses a path to an object', () => {
    expect(configError(() => readField(rollout, 'metadata.labels', 'f')).message).toContain('is an object or a list');
  });
});

/**
 * An independent reading of PromQL string boundaries (Go-style "..." and '...' with backslash escapes, `...`
 * raw): returns the decoded literals and the code between them, to check what a rendered query means.
 */
function lexStrings(query: string): { literals: string[]; code: string } {
  const literals: string[] = [];
  let code = '';
  let i = 0;
  const escapes: Record<string, string> = {
    n: '\n',
    r: '\r',
    t: '\t',
    '\\': '\\',
    '"': '"',
    "'": "'",
    a: '\x07',
    b: '\b',
    f: '\f',
    v: '\v',
  };
  while (i < query.length) {
    const c = query[i]!;
    if (c !== '"' && c !== "'" && c !== '`') {
      code += c;
      i++;
      continue;
    }
    let lit = '';
    i++;
    for (;;) {
      if (i >= query.length) throw new Error(`unterminated string in ${query}`);
      const d = query[i]!;
      if (d === c) break;
      if (c !== '`' && d === '\n') throw new Error('newline in a quoted string');
      if (c !== '`' && d === '\\') {
        const e = query[i + 1]!;
        if (e === 'x') {
          lit += String.fromCharCode(parseInt(query.slice(i + 2, i + 4), 16));
          i += 4;
          continue;
        }
        if ((e === '"' || e === "'") && e !== c) throw new Error(`\\${e} is not a valid escape inside ${c}...${c}`);
        const v = escapes[e];
        if (v === undefined) throw new Error(`bad escape \\${e}`);
        lit += v;
        i += 2;
        continue;
      }
      lit += d;
      i++;
    }
    i++;
    literals.push(lit);
    code += `${c}${c}`;
  }
  return { literals, code };
}

describe('renderQuery', () => {
  const template =
    'sum(rate(http_requests_total{service="{{args.service}}",code=~"5.."}[1m])) / sum(rate(http_requests_total{service="{{args.service}}"}[1m]))';

  it('replaces arguments inside string literals', () => {
    expect(renderQuery(template, args({ service: 'checkout' }))).toBe(
      'sum(rate(http_requests_total{service="checkout",code=~"5.."}[1m])) / sum(rate(http_requests_total{service="checkout"}[1m]))',
    );
  });

  it.each([
    '"} or vector(1) or {"',
    '"} or vector(1) or {service="',
    '\\"} or vector(1) #',
    'a\nb"}) or vector(1) # ',
    "'} or vector(1) or {'",
    '`} or vector(1) or {`',
    '{{args.other}}',
    '\x00\x1b[31m\x7f',
    'ünïcødé ✓ \u2028',
  ])('keeps the value %j inside one string literal', (value) => {
    const rendered = renderQuery(template, args({ service: value, other: 'X' }));
    const before = lexStrings(template.replaceAll('{{args.service}}', 'V'));
    const after = lexStrings(rendered);
    // The code around the strings is unchanged: no operator, brace or function can have come from the value.
    expect(after.code).toBe(before.code);
    expect(after.literals).toEqual(before.literals.map((l) => (l === 'V' ? value : l)));
  });

  it('escapes for single-quoted strings too', () => {
    const rendered = renderQuery("up{job='{{args.job}}'}", args({ job: `it's "x"` }));
    expect(rendered).toBe(`up{job='it\\'s "x"'}`);
    expect(lexStrings(rendered).literals).toEqual([`it's "x"`]);
  });

  it('replaces extra variables such as {{track}} and tolerates spaces inside the braces', () => {
    expect(renderQuery('up{track="{{ track }}",svc="{{args.s}}"}', args({ s: 'a' }), { track: 'canary' })).toBe(
      'up{track="canary",svc="a"}',
    );
  });

  it.each([
    ['up{service={{args.service}}}', 'outside a string literal'],
    ['sum(up) by ({{args.service}})', 'outside a string literal'],
    ['up{service=`{{args.service}}`}', 'inside a `raw` string'],
    ['up # {{args.service}}\n', 'inside a # comment'],
    ['up{a="\\"", b={{args.service}}}', 'outside a string literal'],
  ])('refuses a placeholder that is not inside a quoted string: %s', (query, where) => {
    const err = configError(() => renderQuery(query, args({ service: 'checkout' })));
    expect(err.code).toBe('UnsafePlaceholder');
    expect(err.message).toContain(where);
    expect(err.message).toContain('Put it inside a "..." string');
  });

  it('does not mistake an escaped quote or a quote in a comment for the end of a string', () => {
    expect(renderQuery('up{a="x\\"{{args.s}}"} # it\'s fine\n', args({ s: '"' }))).toBe(
      'up{a="x\\"\\""} # it\'s fine\n',
    );
  });

  it.each([
    ['up{a="{{args.nope}}"}', 'names no argument of the template (declared: s)'],
    ['up{a="{{track}}"}', '{{track}} is only replaced in metrics with compare'],
    ['up{a="{{args.s | quote}}"}', 'that is not a placeholder'],
    ['up{a="{{args.s}}}', 'never closed'],
  ])('refuses %s', (query, message) => {
    expect(configError(() => renderQuery(query, args({ s: 'x' }))).message).toContain(message);
  });
});

describe('renderText', () => {
  it('replaces placeholders anywhere, as they are', () => {
    expect(renderText('tenant-{{args.t}}', { args: new Map([['t', 'a"b']]) }, 'headers[0].value')).toBe('tenant-a"b');
  });
});

describe('redact', () => {
  it('removes secrets as they are and as escaped in a query', () => {
    const secret = 'p"a\\ss';
    const query = renderQuery('up{t="{{args.t}}"}', args({ t: secret }));
    expect(redact(`Prometheus said: bad ${query} and ${secret}`, [secret])).toBe(
      'Prometheus said: bad up{t="[redacted]"} and [redacted]',
    );
  });
});
