import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { Scalar } from '@scalar/hono-api-reference';
import { Hono } from 'hono';
import type { AppEnv } from '../env.ts';

/** The reference's browser bundle, from the installed package (no CDN: this may run on a private network). */
function scalarBundlePath(): string {
  const entry = createRequire(import.meta.url).resolve('@scalar/api-reference');
  return join(dirname(entry), 'browser', 'standalone.js');
}

const FAVICON =
  "data:image/svg+xml,%3Csvg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 16 16'%3E%3Crect width='16' height='16' rx='3' fill='%235ad1a7'/%3E%3C/svg%3E";
const DASHBOARD = new URL('../../ops/dashboard/dashboard.html', import.meta.url);

/** Read once, on first use; a failed read is retried on the next request. */
function cached(load: () => Promise<string>): () => Promise<string> {
  let text: Promise<string> | undefined;
  return () => {
    text ??= load().catch((err: unknown) => {
      text = undefined;
      throw err;
    });
    return text;
  };
}

/** For people: the OpenAPI document, its reference UI (Scalar) and the live dashboard. */
export function peopleRoutes(document: () => unknown) {
  const bundle = cached(() => readFile(scalarBundlePath(), 'utf8'));
  const dashboard = cached(() => readFile(DASHBOARD, 'utf8'));
  return new Hono<AppEnv>()
    .get('/openapi.json', (c) => c.json(document() as object))
    .get(
      '/docs',
      Scalar({
        url: '/openapi.json',
        cdn: '/docs/scalar.js',
        pageTitle: 'Flash-sale coupons: API reference',
        // Nothing from outside hosts: no fonts, no agent chat (it asks a registry), no telemetry.
        withDefaultFonts: false,
        agent: { disabled: true },
        showDeveloperTools: 'never',
        telemetry: false,
        // An inline icon, so the browser does not ask for /favicon.ico (a 404).
        favicon: FAVICON,
      }),
    )
    .get('/docs/scalar.js', async (c) =>
      c.body(await bundle(), 200, {
        'Content-Type': 'text/javascript; charset=utf-8',
        'Cache-Control': 'public, max-age=3600',
      }),
    )
    .get('/dashboard', async (c) => c.html(await dashboard()));
}
