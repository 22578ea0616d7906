import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, expect, inject, it } from 'vitest';
import { launchChromium, pageProblems, serveOnLoopback, testOutput } from '../../testing/browser.ts';
import { createTestEnv, type TestEnv } from '../../testing/harness.ts';

let env: TestEnv;
let browser: Browser;
let server: Awaited<ReturnType<typeof serveOnLoopback>>;

beforeAll(async () => {
  env = await createTestEnv('docs-page');
  server = await serveOnLoopback(env.instance().app);
  browser = await launchChromium(inject('chromiumPath'));
});
afterAll(async () => {
  await browser?.close();
  await server?.close();
  await env.cleanup();
});

it('/docs renders the reference of /openapi.json in Chromium, with no console error and nothing from elsewhere', async () => {
  const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  const problems = pageProblems(page);
  const outside: string[] = [];
  page.on('request', (r) => {
    if (!r.url().startsWith(server.url) && !r.url().startsWith('data:')) outside.push(r.url());
  });
  await page.goto(`${server.url}/docs`, { waitUntil: 'networkidle' });
  await page.getByText('Claim a coupon').first().waitFor({ timeout: 20_000 });
  await page.getByText('Flash-sale coupons').first().waitFor();
  // Every group of the document is listed (Scalar renders a group's routes when it is opened).
  for (const tag of ['public', 'service', 'admin', 'operations', 'people'])
    expect(await page.getByText(tag, { exact: true }).count(), tag).toBeGreaterThan(0);
  await page.screenshot({ path: testOutput('docs.png') });
  expect(problems).toEqual([]);
  expect(outside).toEqual([]);
});
