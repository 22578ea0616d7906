import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { escapeHtml, lineChart, page, table } from '../lib/report-html.ts';
import type { RunResult } from './run.ts';
import { RECOVERY_LEGEND, type RecoveryMeasure } from './scenario.ts';
import { SCENARIOS } from './scenarios.ts';

const CODES: Record<RecoveryMeasure, string> = {
  'first-201': 'F',
  'last-failure': 'L',
  persisted: 'P',
  repaired: 'R',
  none: '-',
};

export const HEADERS = [
  'scenario',
  'mode',
  'guarantee',
  'acked',
  'lost',
  'dup',
  'oversold',
  'acked>stock',
  '503s',
  'recover',
  'lag p50/p99 ms',
  'verdict',
];

const measureOf = (r: RunResult) => SCENARIOS[r.scenario as keyof typeof SCENARIOS].recovery;

function row(r: RunResult): string[] {
  const f = r.figures;
  const lost = f.lost > 0 ? `${f.lost} (${(f.lostRate * 100).toFixed(2)}%)` : '0';
  const code = CODES[measureOf(r)];
  const recover = f.recoveryMs === null ? code : `${(f.recoveryMs / 1000).toFixed(2)}s ${code}`;
  return [
    r.scenario,
    r.mode,
    r.coverage === 'covered' ? 'no loss' : 'loss measured',
    String(f.acknowledged),
    lost,
    String(f.duplicated),
    String(f.oversold),
    String(f.beyondStock),
    String(f.unavailable),
    recover,
    `${f.lagMs.p50}/${f.lagMs.p99}`,
    r.pass ? 'pass' : 'FAIL',
  ];
}

export function legend(): string[] {
  return [
    'recover: F/L/P/R say what was timed ("-" alone: nothing to time):',
    ...(Object.keys(CODES) as RecoveryMeasure[]).map((m) => `  ${CODES[m]}  ${RECOVERY_LEGEND[m]}`),
    'lost: acknowledged (201 or replayed 200) claim ids missing from Postgres; the rate is of the acknowledged.',
    'dup: users with two rows + coupon codes in two rows + users acknowledged with two claim ids.',
    'oversold: rows beyond the stock; acked>stock: acknowledged claims beyond the stock.',
  ];
}

/** The table as text, columns padded. */
export function formatTable(results: RunResult[]): string {
  const rows = [HEADERS, ...results.map(row)];
  const widths = HEADERS.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  const line = (r: string[]) => r.map((c, i) => c.padEnd(widths[i]!)).join('  ');
  const out = [line(rows[0]!), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.slice(1).map(line)];
  const failed = results.filter((r) => !r.pass);
  if (failed.length > 0) {
    out.push('', 'failures:');
    for (const r of failed) out.push(`  ${r.scenario} / ${r.mode}: ${r.reasons.join('; ')}`);
  }
  return [...out, '', ...legend()].join('\n');
}

function runSection(r: RunResult): string {
  const marks = [
    r.marks.fault === undefined ? '' : `fault at ${r.marks.fault}s`,
    r.marks.heal === undefined ? '' : `heal at ${r.marks.heal}s`,
    `traffic ended at ${r.marks.trafficEnd}s`,
  ].filter(Boolean);
  const points = (k: 'acked' | 'refused' | 'unavailable' | 'errors') =>
    r.timeline.map((b): [number, number] => [b.second, b[k]]);
  const f = r.figures;
  const facts = [
    `${f.users} users, ${f.answers} answers, ${f.rows} rows in Postgres (${f.unacknowledgedRows} of claims never acknowledged); ${f.connectionErrors} connection errors; ` +
      `${f.gaveUp} users gave up after every retry; drained in ${r.settled.drainMs} ms, ${r.settled.reconcilePasses} reconcile passes; run took ${r.durationS} s`,
    ...r.reasons.map((x) => `FAIL: ${x}`),
    ...r.checks.filter((c) => c.ok).map((c) => `ok: ${c.what}`),
    ...r.notes,
  ];
  return `<h2 id="${r.scenario}-${r.mode}">${escapeHtml(`${r.scenario} / ${r.mode}`)}: <span class="${r.pass ? 'ok' : 'fail'}">${r.pass ? 'pass' : 'FAIL'}</span></h2>
<ul>${facts.map((x) => `<li>${escapeHtml(x)}</li>`).join('')}</ul>
${lineChart({
  title: `Answers per second (${marks.join(', ')})`,
  xLabel: 's',
  yLabel: 'per second',
  series: [
    { name: '201/200', points: points('acked') },
    { name: '503', points: points('unavailable') },
    { name: 'connection error', points: points('errors') },
    { name: '409/410/other', points: points('refused') },
  ],
})}`;
}

/** chaos.json (every figure) and chaos.html (the table, then each run's chart and notes). */
export function writeReports(outDir: string, meta: Record<string, unknown>, results: RunResult[]): string[] {
  mkdirSync(outDir, { recursive: true });
  const json = join(outDir, 'chaos.json');
  const html = join(outDir, 'chaos.html');
  writeFileSync(json, `${JSON.stringify({ ...meta, results }, null, 2)}\n`);
  const failed = results.filter((r) => !r.pass).length;
  writeFileSync(
    html,
    page(
      'Fault suite (npm run chaos)',
      [
        `<p>${escapeHtml(JSON.stringify(meta))}</p>`,
        `<p class="${failed ? 'fail' : 'ok'}">${failed ? `${failed} of ${results.length} runs broke a guarantee.` : `All ${results.length} runs kept their mode's guarantee.`}</p>`,
        table(HEADERS, results.map(row)),
        `<ul>${legend()
          .map((l) => `<li>${escapeHtml(l)}</li>`)
          .join('')}</ul>`,
        ...results.map(runSection),
      ],
      { maxWidth: 1100 },
    ),
  );
  return [json, html];
}
