import { createRoute } from '@hono/zod-openapi';
import { z } from 'zod';
import { ok } from './responses.ts';

/** Health checks and the pages for people: no credential (the dashboard asks for the admin token). */

const readiness = z.strictObject({
  status: z.enum(['ready', 'not_ready']),
  accepting: z.boolean().describe('false once shutdown has begun'),
  checks: z.record(z.string(), z.boolean()).describe('each dependency: reachable or not'),
});
const page = (description: string, type = 'text/html') => ({
  200: { description, content: { [type]: { schema: z.string() } } },
});

export const opsPaths = [
  createRoute({
    method: 'get',
    path: '/healthz',
    tags: ['operations'],
    summary: 'The process is alive',
    responses: ok(200, 'alive', z.strictObject({ status: z.literal('ok') })),
  }),
  createRoute({
    method: 'get',
    path: '/readyz',
    tags: ['operations'],
    summary: 'Takes traffic: Redis and Postgres reachable, not shutting down',
    responses: {
      ...ok(200, 'ready', readiness),
      503: { description: 'not ready', content: { 'application/json': { schema: readiness } } },
    },
  }),
  createRoute({
    method: 'get',
    path: '/metrics',
    tags: ['operations'],
    summary: "This process' metrics (Prometheus text format; names start with flashsale_)",
    responses: page('the metrics', 'text/plain'),
  }),
  createRoute({
    method: 'get',
    path: '/v1/ping',
    tags: ['operations'],
    summary: 'A JSON answer with no dependency (the benchmarks measure the claim path against it)',
    responses: ok(200, 'pong', z.strictObject({ ok: z.literal(true) })),
  }),
  createRoute({
    method: 'get',
    path: '/openapi.json',
    tags: ['people'],
    summary: 'This document (OpenAPI 3.1)',
    responses: {
      200: { description: 'the document', content: { 'application/json': { schema: z.object({}) } } },
    },
  }),
  createRoute({
    method: 'get',
    path: '/docs',
    tags: ['people'],
    summary: 'The API reference (Scalar) over this document',
    responses: page('an HTML page'),
  }),
  createRoute({
    method: 'get',
    path: '/docs/scalar.js',
    tags: ['people'],
    summary: "The reference's script, served here so /docs needs no outside host",
    responses: page('JavaScript', 'text/javascript'),
  }),
  createRoute({
    method: 'get',
    path: '/dashboard',
    tags: ['people'],
    summary: 'The live dashboard for operators (one self-contained page; asks for the admin token)',
    responses: page('an HTML page'),
  }),
];
