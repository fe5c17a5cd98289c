import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { keptMetadata, objectId, type Converter } from './conversion.ts';
import { convertLimits, convertSources, fileNameOf, toYaml } from './convert.ts';

/** A converter of a made-up kind, to test the dispatch alone: Widget -> ConfigMap, its spec.size dropped. */
const widgets: Converter = (input) => {
  if (input.apiVersion !== 'example.com/v1' || input.kind !== 'Widget') return undefined;
  if (input.metadata.name === 'explodes') throw new Error('cannot read spec.parts');
  return {
    objects: [{ apiVersion: 'v1', kind: 'ConfigMap', metadata: keptMetadata(input), data: { from: 'widget' } }],
    dropped: [{ object: objectId(input), path: 'spec.size', reason: 'no size here' }],
  };
};

const widget = (name: string, extra = '') =>
  `apiVersion: example.com/v1\nkind: Widget\nmetadata:\n  name: ${name}\n  namespace: shop\n  labels: {team: a}${extra}\n`;

describe('convertSources', () => {
  it('converts what a converter takes, keeps name, namespace and labels, and reports what it dropped', () => {
    const result = convertSources(
      [{ name: 'a.yaml', text: `${widget('one', '\n  uid: x\n  resourceVersion: "9"')}---\n${widget('two')}---\n` }],
      [widgets],
    );
    expect(result.errors).toEqual([]);
    expect(result.objects.map((o) => o.metadata)).toEqual([
      { name: 'one', namespace: 'shop', labels: { team: 'a' } },
      { name: 'two', namespace: 'shop', labels: { team: 'a' } },
    ]);
    expect(result.dropped.map((d) => d.object)).toEqual(['Widget/shop/one', 'Widget/shop/two']);
  });

  it('names the objects it leaves alone, and flattens a List', () => {
    const list = `apiVersion: v1\nkind: List\nitems:\n  - apiVersion: v1\n    kind: Service\n    metadata: {name: web}\n  - ${widget('w').replace(/\n/g, '\n    ').trimEnd()}\n`;
    const result = convertSources([{ name: 'list.yaml', text: list }], [widgets]);
    expect(result.skipped).toEqual(['list.yaml: v1 Service/web']);
    expect(result.objects).toHaveLength(1);
  });

  it('fails on what is not YAML or not an object, naming the source and the document', () => {
    const result = convertSources(
      [
        { name: 'bad.yaml', text: 'apiVersion: [unclosed\n' },
        { name: 'odd.yaml', text: '---\n- just\n- a list\n' },
      ],
      [widgets],
    );
    expect(result.errors).toHaveLength(2);
    expect(result.errors[0]).toMatch(/^bad\.yaml: document 1: /);
    expect(result.errors[1]).toBe(
      'odd.yaml: document 1: not a Kubernetes object (apiVersion, kind and metadata.name are needed)',
    );
  });

  it('reports a converter that throws as an error for that object, never a half conversion', () => {
    const result = convertSources([{ name: 'x.yaml', text: widget('explodes') }], [widgets]);
    expect(result.objects).toEqual([]);
    expect(result.errors).toEqual(['x.yaml: Widget/explodes: cannot read spec.parts']);
  });

  it('bounds what one run reads', () => {
    const big = { name: 'big.yaml', text: 'x'.repeat(convertLimits.bytesPerSource + 1) };
    expect(convertSources([big], [widgets]).errors[0]).toMatch(/big\.yaml: larger than/);
    const many = Array.from({ length: convertLimits.documentsPerRun + 1 }, (_, i) => widget(`w${i}`)).join('---\n');
    expect(convertSources([{ name: 'many.yaml', text: many }], [widgets]).errors).toEqual([
      `more than ${convertLimits.documentsPerRun} objects: convert them in parts`,
    ]);
  });

  it('refuses a billion-laughs alias bomb instead of expanding it', () => {
    const bomb = `a: &a [x,x,x,x,x,x,x,x,x,x]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b,*b]\nd: [*c,*c,*c,*c,*c,*c,*c,*c,*c,*c]\n`;
    expect(() => convertSources([{ name: 'bomb.yaml', text: bomb }], [widgets])).not.toThrow();
    expect(convertSources([{ name: 'bomb.yaml', text: bomb }], [widgets]).errors.length).toBeGreaterThan(0);
  });
});

describe('the output', () => {
  it('is one YAML stream that reads back as the same objects', () => {
    const { objects } = convertSources([{ name: 'a', text: `${widget('one')}---\n${widget('two')}` }], [widgets]);
    const back = parseAllDocuments(toYaml(objects)).map((d) => d.toJS() as unknown);
    expect(back).toEqual(objects);
  });

  it('names files by namespace, kind and name, safe for any file system', () => {
    expect(fileNameOf({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'a/b', namespace: 'Shop' } })).toBe(
      'shop.configmap.a-b.yaml',
    );
  });
});

describe('convertSources on what the API server would refuse', () => {
  /** An Argo-like made-up kind giving a Sluice Rollout with a service, under the input's name and metadata. */
  const routed: Converter = (input) =>
    input.kind !== 'Routed'
      ? undefined
      : {
          objects: [
            {
              apiVersion: 'sluice.dev/v1alpha1',
              kind: 'Rollout',
              metadata: keptMetadata(input),
              spec: {
                workloadRef: { name: 'w' },
                service: { port: 80 },
                strategy: { canary: { steps: [{ setWeight: 100 }] } },
              },
            },
          ],
          dropped: [],
        };
  const doc = (name: string, extra = '') =>
    `apiVersion: example.com/v1\nkind: Routed\nmetadata:\n  name: ${name}\n${extra}`;

  it('does not write a Rollout whose <name>-stable Service name would pass 63 characters, and says why', () => {
    const long = 'a'.repeat(57);
    const result = convertSources([{ name: 'r.yaml', text: doc(long) + '---\n' + doc('a'.repeat(56)) }], [routed]);
    expect(result.errors).toEqual([]);
    expect(result.objects.map((o) => o.metadata.name)).toEqual(['a'.repeat(56)]);
    expect(result.dropped).toEqual([
      {
        object: `Routed/${long}`,
        path: 'metadata.name',
        reason: expect.stringMatching(/at most 56 .*not written/) as string,
      },
    ]);
  });

  it('fails naming the field when a label or annotation is not a string', () => {
    const result = convertSources([{ name: 'r.yaml', text: doc('web', '  labels: {version: 2}\n') }], [routed]);
    expect(result.errors).toEqual([
      'r.yaml: Routed/web: metadata.labels.version is 2, not a string (the API server refuses it): quote it',
    ]);
    expect(result.objects).toEqual([]);
  });
});

describe('convertSources as the last guard', () => {
  it('fails naming the input and the field when a converter produces a Sluice object its schema refuses', () => {
    const broken: Converter = (input) =>
      input.kind !== 'Broken'
        ? undefined
        : {
            objects: [
              {
                apiVersion: 'sluice.dev/v1alpha1',
                kind: 'Rollout',
                metadata: keptMetadata(input),
                spec: { workloadRef: { name: 'w' }, strategy: { canary: { steps: [{ constructor: {} }] } } },
              },
            ],
            dropped: [],
          };
    const result = convertSources(
      [{ name: 'b.yaml', text: 'apiVersion: example.com/v1\nkind: Broken\nmetadata: {name: b}\n' }],
      [broken],
    );
    expect(result.objects).toEqual([]);
    expect(result.errors).toEqual([
      expect.stringMatching(
        /^b\.yaml: Broken\/b: the converted Rollout is not valid at spec\/strategy\/canary\/steps\/0\/constructor: .*report it/,
      ),
    ]);
  });
});
