import { compileErrors, validate } from '@readme/openapi-parser';
import { describe, expect, it } from 'vitest';
import { routesOnlyApp } from '../../testing/routes-only-app.ts';
import { documented, missingRouteHint, servedRoutes } from './coverage.ts';

// The routes are registered when the app is built; no request is made, so no dependency is needed.
const app = routesOnlyApp();
const doc = (await (await app.request('/openapi.json')).json()) as { paths: Record<string, any> };
const key = (r: { method: string; path: string }) => `${r.method} ${r.path}`;

describe('/openapi.json', () => {
  it('is a valid OpenAPI 3.1 document', async () => {
    expect(doc).toMatchObject({ openapi: '3.1.0' });
    const result = await validate(structuredClone(doc) as any);
    expect(result.valid ? '' : compileErrors(result)).toBe('');
    expect(result.warnings).toEqual([]);
  });

  it('documents every route the app serves', () => {
    const have = new Set(documented(doc).map(key));
    const missing = servedRoutes(app.routes).filter((r) => !have.has(key(r)));
    expect(missing.map(missingRouteHint).join('\n\n'), 'routes served but not documented').toBe('');
  });

  it('documents only routes the app serves', () => {
    const served = new Set(servedRoutes(app.routes).map(key));
    const extra = documented(doc).filter((r) => !served.has(key(r)));
    expect(extra.map(key), 'documented but not served: remove them or fix their path').toEqual([]);
  });

  it('gives every authenticated route its credential and every error answer its JSON shape', () => {
    for (const [path, ops] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries<any>(ops)) {
        if ('401' in op.responses) expect(op.security, `${method} ${path}`).toBeDefined();
        for (const [status, res] of Object.entries<any>(op.responses))
          if (Number(status) >= 400)
            expect(res.content?.['application/json'], `${method} ${path} ${status}`).toBeDefined();
      }
    }
  });

  it('tells whoever adds a route where and what to add', () => {
    const hint = missingRouteHint({ method: 'POST', path: '/v1/admin/bundles/{id}' });
    expect(hint).toContain('src/http/openapi/admin.paths.ts');
    expect(hint).toContain("path: '/v1/admin/bundles/{id}'");
    expect(hint).toContain('...jsonBody(');
    expect(missingRouteHint({ method: 'POST', path: '/v1/bundles/{id}/claims' })).toContain(
      'public.paths.ts',
    );
  });
});
