import type { OpenAPIHono, RouteConfig } from '@hono/zod-openapi';
import { adminPaths } from './admin.paths.ts';
import { opsPaths } from './ops.paths.ts';
import { publicPaths } from './public.paths.ts';
import { SECURITY_SCHEMES } from './responses.ts';
import { servicePaths } from './service.paths.ts';

/**
 * The OpenAPI 3.1 document of every route the app serves. Each route is described in one of the
 * `*.paths.ts` lists (by who calls it) with the zod schemas its handler validates with and answers in;
 * src/http/openapi/coverage.test.ts fails, saying what to add, when a served route is missing.
 */
export const ROUTE_LISTS = {
  'src/http/openapi/public.paths.ts': publicPaths,
  'src/http/openapi/service.paths.ts': servicePaths,
  'src/http/openapi/admin.paths.ts': adminPaths,
  'src/http/openapi/ops.paths.ts': opsPaths,
} satisfies Record<string, RouteConfig[]>;

const DESCRIPTION = `Flash-sale coupon grab: many stateless instances behind a load balancer, Redis decides every
claim atomically, workers persist claims to Postgres, a reconciler checks and repairs.

Errors are JSON: \`{"error": {"code": "<snake_case>", "message": "..."}}\`; the codes are stable.
Every answer carries \`X-Request-Id\` (yours when you send a sane one).`;

export type ApiApp = Pick<OpenAPIHono, 'openAPIRegistry' | 'getOpenAPI31Document'>;

/** Registers every route description and credential on the app's registry. */
export function registerApiDocs(app: ApiApp): void {
  for (const [name, scheme] of Object.entries(SECURITY_SCHEMES))
    app.openAPIRegistry.registerComponent('securitySchemes', name, { ...scheme });
  for (const list of Object.values(ROUTE_LISTS))
    for (const route of list) app.openAPIRegistry.registerPath(route);
}

/** The document, generated once per app on first use. */
export function apiDocument(app: ApiApp): () => unknown {
  let doc: unknown;
  return () => {
    doc ??= app.getOpenAPI31Document({
      openapi: '3.1.0',
      info: { title: 'Flash-sale coupons', version: '1', description: DESCRIPTION },
      tags: [
        { name: 'public', description: 'Users, with a JWT' },
        { name: 'service', description: 'The order system, with SERVICE_TOKEN' },
        { name: 'admin', description: 'Operators, with ADMIN_TOKEN' },
        { name: 'operations', description: 'Health checks' },
        { name: 'people', description: 'This document, its reference and the dashboard' },
      ],
    });
    return doc;
  };
}
