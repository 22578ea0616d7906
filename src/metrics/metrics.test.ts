import { describe, expect, it } from 'vitest';
import type { RunReport } from '../reconcile/report.ts';
import { createMetrics } from './metrics.ts';

const sample = async (
  m: ReturnType<typeof createMetrics>,
  name: string,
  labels: Record<string, string> = {},
) => {
  const metric = (await m.registry.getMetricsAsJSON()).find((x) => x.name === name);
  const match = (metric?.values ?? []).find((v) =>
    Object.entries(labels).every(([k, want]) => String((v.labels as Record<string, unknown>)[k]) === want),
  );
  return match?.value;
};

describe('metrics', () => {
  it('counts claims and requests by bounded labels, and names unknown methods OTHER', async () => {
    const m = createMetrics({ defaultMetrics: false });
    m.claim('claimed', 0.002);
    m.claim('claimed', 0.003);
    m.claim('sold_out', 0.001);
    m.http('POST', '/v1/campaigns/:id/claims', 201, 0.002);
    m.http('BREW', 'unmatched', 404, 0.001);
    expect(await sample(m, 'flashsale_claims_total', { outcome: 'claimed' })).toBe(2);
    expect(await sample(m, 'flashsale_claims_total', { outcome: 'sold_out' })).toBe(1);
    expect(
      await sample(m, 'flashsale_http_requests_total', {
        method: 'POST',
        route: '/v1/campaigns/:id/claims',
        status: '201',
      }),
    ).toBe(1);
    expect(await sample(m, 'flashsale_http_requests_total', { method: 'OTHER' })).toBe(1);
    const text = await m.registry.metrics();
    expect(text).toContain('flashsale_claim_duration_seconds_count{outcome="claimed"} 2');
  });

  it('observes the persistence lag from the claim time Redis gave', async () => {
    const m = createMetrics({ defaultMetrics: false });
    const claim = { claimedAt: 1_000 } as Parameters<typeof m.persisted>[0][number];
    m.persisted([claim, claim], 1_300);
    const text = await m.registry.metrics();
    expect(text).toContain('flashsale_persist_lag_seconds_count 2');
    expect(text).toContain('flashsale_persist_lag_seconds_sum 0.6');
  });

  it('counts a reconciliation run, its violations and the coupons it expired', async () => {
    const m = createMetrics({ defaultMetrics: false });
    const report = {
      trigger: 'schedule',
      ok: false,
      durationMs: 120,
      campaigns: [
        {
          repairs: { expired: 3 },
          violations: [
            { invariant: 'I4', repaired: true },
            { invariant: 'I4', repaired: true },
            { invariant: 'I5', repaired: false },
          ],
        },
      ],
    } as unknown as RunReport;
    m.reconciled(report);
    expect(await sample(m, 'flashsale_reconcile_runs_total', { trigger: 'schedule', ok: 'false' })).toBe(1);
    expect(
      await sample(m, 'flashsale_reconcile_violations_total', { invariant: 'I4', repaired: 'true' }),
    ).toBe(2);
    expect(
      await sample(m, 'flashsale_reconcile_violations_total', { invariant: 'I5', repaired: 'false' }),
    ).toBe(1);
    expect(await sample(m, 'flashsale_coupon_events_total', { event: 'expired' })).toBe(3);
    expect(await sample(m, 'flashsale_coupon_events_total', { event: 'redeemed' })).toBe(0);
    expect(await m.registry.metrics()).toContain(
      'flashsale_reconcile_duration_seconds_sum{trigger="schedule"} 0.12',
    );
  });

  it('includes Node default metrics under the flashsale_ prefix', async () => {
    const text = await createMetrics().registry.metrics();
    expect(text).toContain('flashsale_process_cpu_seconds_total');
    expect(text).toContain('flashsale_nodejs_eventloop_lag_seconds');
  });
});
