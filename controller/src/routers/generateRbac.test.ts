import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { chartRouterRules, manifestsDir, renderRbac } from './generateRbac.ts';
import { routerModules } from './registry.ts';

describe("the routers' RBAC in manifests/", () => {
  const rendered = renderRbac();

  it.each([...rendered.keys()])('%s matches the router modules (run npm run gen:crds after changing them)', (name) => {
    expect(readFileSync(join(manifestsDir, name), 'utf8')).toBe(rendered.get(name));
  });

  const rules = routerModules.flatMap((m) =>
    m.rbac.map((r) => ({ apiGroups: r.apiGroups, resources: r.resources, verbs: r.verbs })),
  );

  it('grants each router exactly its rules, and binds them to the controller', () => {
    for (const [name, text] of rendered) {
      if (name === chartRouterRules) continue;
      const [role, binding] = parseAllDocuments(text).map((d) => d.toJS() as Record<string, never>);
      expect(role!['rules']).toEqual(rules);
      expect(binding!['roleRef']).toMatchObject({ name: 'sluice-routers', kind: role!['kind'] });
      expect(text).not.toMatch(/verbs: \[.*"\*"|resources: \[.*"\*"/);
    }
  });

  it("gives the Helm chart's templates the same rules", () => {
    expect(parseAllDocuments(rendered.get(chartRouterRules)!)[0]!.toJS()).toEqual(rules);
  });

  it('is part of both installs', () => {
    expect(readFileSync(join(manifestsDir, 'kustomization.yaml'), 'utf8')).toMatch(/^ {2}- router-rules\.yaml$/m);
    expect(readFileSync(join(manifestsDir, 'namespaced', 'kustomization.yaml'), 'utf8')).toMatch(
      /^ {2}- router-rules\.yaml$/m,
    );
  });
});
