import { barChart, escapeHtml, page, table } from '../lib/report-html.ts';
import type { HotRun } from './hot-campaign.ts';

interface Side {
  claimsPerSecond: number;
  p99Ms: number;
  perRound: number[];
}

export interface ClusterFigures {
  machine: string;
  setup: string;
  sideBySide: {
    standalone: Side;
    cluster: Side;
    ratio: number;
    perRoundRatio: number[];
    unexpected: number;
    goal: string;
  };
  hot: HotRun[];
  /** Over 1,000 made-up campaign ids: how often every master gets within 1.2x of an even share. */
  placement: { buckets: number; evenShare: number; meanWorstVsEven: number }[];
}

const exact = (h: HotRun) => (h.checks.every((c) => c.ok) ? 'exact' : 'WRONG');

export function clusterTables(f: ClusterFigures): string {
  const s = f.sideBySide;
  const lines = [
    `cluster vs standalone (${f.setup})`,
    `  standalone ${String(s.standalone.claimsPerSecond).padStart(6)}/s  p99 ${s.standalone.p99Ms} ms  (rounds ${s.standalone.perRound.join(', ')})`,
    `  cluster    ${String(s.cluster.claimsPerSecond).padStart(6)}/s  p99 ${s.cluster.p99Ms} ms  (rounds ${s.cluster.perRound.join(', ')})`,
    `  cluster / standalone ${s.ratio.toFixed(2)} (rounds ${s.perRoundRatio.join(', ')}; goal >= 0.8)${s.unexpected ? `; ${s.unexpected} answers other than 201` : ''}`,
    '',
    'one hot campaign on the 3-master cluster: share of the claim scripts per master (INFO commandstats)',
    ...f.hot.map(
      (h) =>
        `  ${String(h.buckets).padStart(2)} bucket(s): ${String(h.claimsPerSecond).padStart(6)} claims/s  ` +
        h.masters
          .map(
            (m) =>
              `${m.node} ${(m.share * 100).toFixed(1)}% (x${m.vsEven.toFixed(2)}, buckets ${m.buckets.join(',') || '-'})`,
          )
          .join('  ') +
        `  worst x${h.worstVsEven.toFixed(2)}  ${exact(h)}`,
    ),
    ...f.hot.flatMap((h) =>
      h.checks.map((c) => `    ${c.ok ? 'ok  ' : 'FAIL'} ${h.buckets} bucket(s): ${c.what}`),
    ),
    '',
    "bucket placement over 1,000 made-up campaign ids on this cluster's slot map (bucket counts per master)",
    ...f.placement.map(
      (p) =>
        `  ${String(p.buckets).padStart(2)} buckets: ${(p.evenShare * 100).toFixed(1)}% of campaigns with every master within 1.2x of even; busiest master x${p.meanWorstVsEven.toFixed(2)} on average`,
    ),
  ];
  return lines.join('\n');
}

export function clusterReport(f: ClusterFigures): string {
  const s = f.sideBySide;
  return page(
    'npm run bench:cluster',
    [
      `<p>Machine: ${escapeHtml(f.machine)}. ${escapeHtml(f.setup)}.</p>`,
      '<h2>Cluster vs standalone</h2>',
      table(
        ['topology', 'claims/s (median)', 'p99 ms', 'per round'],
        [
          ['standalone', s.standalone.claimsPerSecond, s.standalone.p99Ms, s.standalone.perRound.join(', ')],
          ['cluster (3 masters)', s.cluster.claimsPerSecond, s.cluster.p99Ms, s.cluster.perRound.join(', ')],
        ],
      ),
      `<p>cluster / standalone: <b>${s.ratio.toFixed(2)}</b> (rounds ${s.perRoundRatio.join(', ')}; goal ${escapeHtml(s.goal)}).</p>`,
      '<h2>One hot campaign, by buckets</h2>',
      table(
        [
          'buckets',
          'claims/s',
          'sold out in',
          ...f.hot[0]!.masters.map((m) => m.node),
          'worst vs even',
          'result',
        ],
        f.hot.map((h) => [
          h.buckets,
          h.claimsPerSecond,
          `${h.sellOutS} s`,
          ...h.masters.map((m) => `${(m.share * 100).toFixed(1)}%`),
          `${h.worstVsEven.toFixed(2)}x`,
          exact(h),
        ]),
      ),
      ...f.hot.map((h) =>
        barChart({
          title: `${h.buckets} bucket(s): claim scripts per master`,
          bars: h.masters.map((m) => ({ label: m.node, value: m.claimScripts })),
        }),
      ),
      '<h2>Bucket placement beyond these campaigns</h2>',
      table(
        [
          'buckets',
          'campaigns with every master within 1.2x of even (of 1,000 ids)',
          'busiest master vs even, mean',
        ],
        f.placement.map((p) => [
          p.buckets,
          `${(p.evenShare * 100).toFixed(1)}%`,
          `${p.meanWorstVsEven.toFixed(2)}x`,
        ]),
      ),
      table(
        ['buckets', 'check', 'result'],
        f.hot.flatMap((h) => h.checks.map((c) => [h.buckets, c.what, c.ok ? 'ok' : 'FAIL'])),
      ),
    ],
    { maxWidth: 1000 },
  );
}
