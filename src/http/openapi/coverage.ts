import type { ROUTE_LISTS } from './document.ts';

/** A route as the app serves it, in OpenAPI's spelling: `GET /v1/campaigns/{id}`. */
export interface ServedRoute {
  method: string;
  path: string;
}

type Doc = { paths: Record<string, Record<string, unknown>> };

/** Every method and path the Hono app registers (middleware, registered for ALL methods, left out). */
export function servedRoutes(routes: readonly { method: string; path: string }[]): ServedRoute[] {
  const seen = new Map<string, ServedRoute>();
  for (const r of routes) {
    if (r.method === 'ALL') continue;
    const path = r.path.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
    seen.set(`${r.method} ${path}`, { method: r.method, path });
  }
  return [...seen.values()];
}

export const documented = (doc: Doc): ServedRoute[] =>
  Object.entries(doc.paths).flatMap(([path, ops]) =>
    Object.keys(ops).map((m) => ({ method: m.toUpperCase(), path })),
  );

/** Which list a new route's description belongs in, by who calls it. */
function listFor(path: string): keyof typeof ROUTE_LISTS {
  if (path.startsWith('/v1/admin')) return 'src/http/openapi/admin.paths.ts';
  if (path.startsWith('/v1/coupons')) return 'src/http/openapi/service.paths.ts';
  if (path.startsWith('/v1/')) return 'src/http/openapi/public.paths.ts';
  return 'src/http/openapi/ops.paths.ts';
}

/** The message for a served route the document lacks: where to add it, and a skeleton to fill in. */
export function missingRouteHint({ method, path }: ServedRoute): string {
  const params = [...path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]);
  const hasBody = method === 'POST' || method === 'PATCH' || method === 'PUT';
  const list = listFor(path);
  const security = path.startsWith('/v1/admin') ? 'asAdmin' : path.startsWith('/v1/') ? 'asUser' : undefined;
  const lines = [
    `${method} ${path} is served by the app but missing from /openapi.json.`,
    `Add its description to the list in ${list}, e.g.:`,
    '  createRoute({',
    `    method: '${method.toLowerCase()}',`,
    `    path: '${path}',`,
    `    tags: ['${list.split('/').pop()!.split('.')[0]}'],`,
    "    summary: '<what it does, in a few words>',",
    ...(security ? [`    security: ${security},`] : []),
    '    request: {',
    ...(params.length
      ? [`      params: z.object({ ${params.map((p) => `${p}: <the zod schema of ${p}>`).join(', ')} }),`]
      : []),
    ...(hasBody ? ['      ...jsonBody(<the zod schema the handler passes to readJson>),'] : []),
    '    },',
    '    responses: {',
    "      ...ok(<200|201>, '<what the answer is>', <zod schema of the answer body, see views.schema.ts>),",
    `      ...refusals(${[...(hasBody ? ['...WITH_BODY'] : []), ...(security ? ['...AUTHENTICATED'] : [])].concat("'<each error code it can answer>'").join(', ')}),`,
    '    },',
    '  }),',
    'Then give src/http/openapi/conformance.int.test.ts a request for each status you documented',
    '(its last test lists any status no request produced; a new path parameter also needs SAMPLE and BAD',
    'values there, and a new body a VALID_BODY entry).',
  ];
  return lines.join('\n');
}
