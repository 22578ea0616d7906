import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, expect, inject, it } from 'vitest';
import { launchChromium, pageProblems, serveOnLoopback, testOutput } from '../../testing/browser.ts';
import { ADMIN_TOKEN, createTestEnv, type Instance, type TestEnv } from '../../testing/harness.ts';
import { admin, claim, createCampaign, eventually } from '../../testing/http.ts';

let env: TestEnv;
let inst: Instance;
let browser: Browser;
let server: Awaited<ReturnType<typeof serveOnLoopback>>;

beforeAll(async () => {
  env = await createTestEnv('dashboard-page');
  inst = env.instance();
  env.worker();
  server = await serveOnLoopback(inst.app);
  browser = await launchChromium(inject('chromiumPath'));
});
afterAll(async () => {
  await browser?.close();
  await server?.close();
  await env.cleanup();
});

/** A figure of a campaign's card, as the page holds it (data-value: the exact number). */
const figure = async (page: Page, campaignId: string, field: string) =>
  Number(
    await page.locator(`[data-campaign="${campaignId}"] [data-field="${field}"]`).getAttribute('data-value'),
  );
const outcome = async (page: Page, campaignId: string, name: string) =>
  Number(
    await page.locator(`[data-campaign="${campaignId}"] [data-outcome="${name}"]`).getAttribute('data-value'),
  );
const queued = async (page: Page, state: string) =>
  Number(await page.locator(`[data-queue="${state}"]`).getAttribute('data-value'));

/** Claims by `users`, `concurrency` at a time at about `perSecond`; returns how many got each status. */
async function storm(campaignId: string, users: string[], concurrency: number, perSecond: number) {
  const statuses = new Map<number, number>();
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < users.length) {
        const user = users[next++]!;
        const { status } = await claim(inst.app, campaignId, env.userToken(user));
        statuses.set(status, (statuses.get(status) ?? 0) + 1);
        await new Promise((r) => setTimeout(r, (concurrency * 1000) / perSecond));
      }
    }),
  );
  return statuses;
}

it('asks for the admin token, moves during a storm of claims and ends equal to /stats', async () => {
  const big = await createCampaign(inst.app, { id: 'spring-storm', totalStock: 2_500, buckets: 2 });
  const small = await createCampaign(inst.app, { id: 'flash-minute', totalStock: 150 });
  const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
  const problems = pageProblems(page);
  await page.goto(`${server.url}/dashboard`);

  // A wrong token is refused and the form stays; the right one shows the board.
  await page.fill('#token', 'not-the-token');
  await page.click('button[type=submit]');
  await page.getByText('That token was refused.').waitFor();
  problems.length = 0; // that 401 was the point
  await page.fill('#token', ADMIN_TOKEN);
  await page.click('button[type=submit]');
  await page.locator(`[data-campaign="${big.id}"]`).waitFor();

  // The storm: claims from many users while the page is sampled.
  const seen = new Set<number>();
  let storming = true;
  const sampling = (async () => {
    while (storming) {
      seen.add(await figure(page, big.id, 'claimed'));
      await new Promise((r) => setTimeout(r, 400));
    }
  })();
  const users = Array.from({ length: 2_800 }, (_, i) => `storm-user-${i}`);
  const [bigAnswers, smallAnswers] = await Promise.all([
    storm(big.id, users, 20, 400),
    storm(small.id, users.slice(0, 400), 4, 60),
  ]);
  // Some come back for more: already claimed.
  const again = await storm(small.id, users.slice(0, 60), 4, 100);
  storming = false;
  await sampling;
  expect(bigAnswers.get(201)).toBe(2_500);
  expect(bigAnswers.get(410)).toBe(300);
  expect(seen.size, `claimed values seen during the storm: ${[...seen].join(', ')}`).toBeGreaterThanOrEqual(
    3,
  );

  // Once the workers have stored everything, the page and /stats agree, figure by figure.
  for (const id of [big.id, small.id])
    await eventually(async () => {
      const s = (await admin(inst.app, 'GET', `/campaigns/${id}/stats`)).body;
      return s.persisted === s.claimed && s.pending === 0;
    });
  await eventually(async () => {
    for (const id of [big.id, small.id]) {
      const stats = (await admin(inst.app, 'GET', `/campaigns/${id}/stats`)).body;
      for (const field of ['remaining', 'claimed', 'persisted', 'pending'] as const)
        if ((await figure(page, id, field)) !== stats[field]) return false;
      for (const state of ['waiting', 'active', 'delayed', 'failed'] as const)
        if ((await queued(page, state)) !== stats.queue[state]) return false;
    }
    return true;
  }, 15_000);
  // The outcome mix is every answer the instance gave (summed in Redis each second).
  await eventually(async () => (await outcome(page, small.id, 'already_claimed')) === (again.get(409) ?? 0));
  expect(await outcome(page, big.id, 'claimed')).toBe(2_500);
  expect(await outcome(page, big.id, 'sold_out')).toBe(300);
  expect(await outcome(page, small.id, 'claimed')).toBe(smallAnswers.get(201));
  expect(await outcome(page, small.id, 'sold_out')).toBe(
    (smallAnswers.get(410) ?? 0) + (again.get(410) ?? 0),
  );
  expect(await figure(page, big.id, 'lag')).toBe(0);
  await expect(page.locator('#status').textContent()).resolves.toMatch(/^live/);

  await page.screenshot({ path: testOutput('dashboard.png'), fullPage: true });
  expect(problems).toEqual([]);
});
