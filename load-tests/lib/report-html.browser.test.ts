import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { launchChromium, pageProblems } from '../../src/testing/browser.ts';
import { clusterReport } from '../bench/cluster-report.ts';
import { benchReport } from '../bench/report.ts';
import { scaleReport } from '../bench/scale-report.ts';
import { barChart, lineChart, page, table } from './report-html.ts';

/**
 * The HTML reports the load tools write (load, bench, bench:cluster, bench:scale; the lab's uses the same
 * pieces) open in headless Chromium with no console error, no page error and no failed request. Debian's
 * chromium (.ci/run installs it, REQUIRE_CHROMIUM=1 there); never a downloaded browser.
 */
const CHROMIUM = inject('chromiumPath');
const available = existsSync(CHROMIUM);
if (!available && inject('requireChromium')) throw new Error(`${CHROMIUM} is required here`);

const hot = (buckets: number) => ({
  buckets,
  stock: 1000,
  claimsPerSecond: 3000,
  sellOutS: 0.4,
  statuses: { '201': 1000, '409': 100, '410': 50 },
  masters: ['127.0.0.1:1', '127.0.0.1:2', '127.0.0.1:3'].map((node, i) => ({
    node,
    buckets: [i],
    claimScripts: 400,
    share: 0.333,
    vsEven: 1,
    holdsQueue: i === 0,
  })),
  worstVsEven: 1,
  checks: [{ ok: true, what: '201s 1000 = stock 1000' }],
  campaignId: `hot-${buckets}`,
});

const reports: Record<string, string> = {
  load: page('Flash-sale storm: <load>', [
    table(['measure', 'value'], [['requests', 100]]),
    lineChart({
      title: 'Answers per second',
      xLabel: 's',
      yLabel: 'per second',
      series: [
        {
          name: '201',
          points: [
            [0, 1],
            [1, 5],
            [2, 3],
          ],
        },
      ],
    }),
    barChart({ title: 'Status mix', bars: [{ label: 'HTTP 201', value: 10 }] }),
  ]),
  bench: benchReport({
    command: 'npm run bench',
    machine: 'test',
    durability: {
      setup: 'test',
      goals: { replicaVsRedis: '>= 0.8', postgresP99AtHalfPeak: '<= 60 ms' },
      waits: { calls: 10, replicaClaims: 100 },
      modes: (['redis', 'replica', 'postgres'] as const).map((mode) => ({
        mode,
        claimsPerSecond: 1000,
        p50Ms: 2,
        p99Ms: 9,
        ratioVsRedis: 1,
        perRoundRatio: [1, 1],
        perRoundRate: [1000, 1000],
        perRoundP99: [9, 9],
        halfPeak: { ratePerSecond: 500, p50Ms: 1, p99Ms: 4, statuses: { '201': 2500 } },
        unexpected: 0,
      })),
    },
  }),
  cluster: clusterReport({
    machine: 'test',
    setup: 'test',
    sideBySide: {
      standalone: { claimsPerSecond: 1000, p99Ms: 9, perRound: [1000] },
      cluster: { claimsPerSecond: 900, p99Ms: 10, perRound: [900] },
      ratio: 0.9,
      perRoundRatio: [0.9],
      unexpected: 0,
      goal: '>= 0.8',
    },
    hot: [hot(1), hot(3)],
    placement: [{ buckets: 3, evenShare: 0.4, meanWorstVsEven: 1.6 }],
  }),
  scale: scaleReport({
    machine: 'test',
    setup: 'test',
    memory: {
      bytesPerPendingClaim: 600,
      bytesPerPersistedClaim: 100,
      probeBytesPerPersistedClaim: 100,
      usedMemoryBytes: { baseline: 1, withPending: 2, afterBig: 3 },
      saleOf1e6MB: 100,
      saleOf1e7MB: 1000,
    },
    seeding: { claims: 10, seconds: 1, claimsPerSecond: 10, slowest: [] },
    latency: {
      windows: [
        {
          campaign: 'small',
          p50: 1,
          p99: 2,
          claims: 10,
          passes: 2,
          passMs: [5, 6],
          slowMaxMs: 1.5,
          slowOver10Ms: 0,
          slowest: [],
          commands: [{ command: 'hscan', calls: 3, p50Us: 200, p99Us: 400, p999Us: 400 }],
        },
      ],
      p50Ratio: [1],
      p99Ratio: [1],
      goal: 'within 1.2x',
    },
    slowlog: {
      thresholdMs: 1,
      entries: 1,
      maxMs: 1.5,
      slowest: [{ ms: 1.5, command: 'evalsha claim.lua' }],
      goal: '10 ms',
    },
  }),
};

describe.skipIf(!available)('the HTML reports in headless Chromium', () => {
  let browser: Browser;
  const dir = mkdtempSync(join(tmpdir(), 'fs-reports-'));
  beforeAll(async () => {
    browser = await launchChromium(CHROMIUM);
  });
  afterAll(async () => {
    await browser?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it.each(Object.keys(reports))('%s report: renders, no console errors', async (name) => {
    const file = join(dir, `${name}.html`);
    writeFileSync(file, reports[name]!);
    const context = await browser.newContext();
    const tab = await context.newPage();
    const problems = pageProblems(tab, { warnings: true });
    await tab.goto(pathToFileURL(file).href, { waitUntil: 'load' });
    expect(await tab.locator('h1').count()).toBe(1);
    expect(await tab.locator('svg, table').count()).toBeGreaterThan(0);
    await context.close();
    expect(problems).toEqual([]);
  });
});
