import { barChart, escapeHtml, page, table } from '../lib/report-html.ts';
import type { RunResult } from './result.ts';
import type { LabCapacity, LabScenario } from './scenario.ts';

const HEADERS = [
  'strategy',
  'inst',
  'claims/s',
  'answered/s',
  'p50 ms',
  'p95 ms',
  'p99 ms',
  'placed',
  'oversold',
  'users x2',
  'partial',
  'retries',
  'conflicts',
  'gave up',
  'errors',
  'stock = sold',
];

/** Room for the longest strategy label in the charts. */
const LABEL_WIDTH = 300;

export const labelOf = (r: RunResult) => `${r.title}${r.stage ? ` (${r.stage})` : ''}`;

export function rowOf(r: RunResult): (string | number)[] {
  return [
    labelOf(r),
    r.instances,
    Math.round(r.claimsPerSecond),
    Math.round(r.answeredPerSecond),
    r.latency.p50,
    r.latency.p95,
    r.latency.p99,
    r.placed,
    r.tally.oversoldUnits,
    r.tally.usersWithTwoOrders,
    r.variant === 'multi' ? r.tally.partialOrders : '-',
    r.counters.retries,
    r.counters.conflicts,
    r.gaveUp,
    r.errors,
    r.tally.stockMatches ? 'yes' : 'NO',
  ];
}

/** A fixed-width table for the terminal. */
export function textTable(results: RunResult[]): string {
  const rows = [HEADERS, ...results.map((r) => rowOf(r).map(String))];
  const widths = HEADERS.map((_, c) => Math.max(...rows.map((r) => String(r[c]).length)));
  const line = (r: (string | number)[]) =>
    r
      .map((cell, c) => (c === 0 ? String(cell).padEnd(widths[c]!) : String(cell).padStart(widths[c]!)))
      .join('  ');
  return [line(rows[0]!), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.slice(1).map(line)].join('\n');
}

/**
 * Product path (acknowledged) over another strategy's claims/s on as many instances, in the capacity run,
 * the single-item storm or the multi-item orders; undefined when either is missing.
 */
export function ratio(
  results: RunResult[],
  strategy: string,
  variant: RunResult['variant'],
): number | undefined {
  // The multi-item run of the product has one stage: its answers are its acknowledgements.
  const product = results.find(
    (r) =>
      r.strategy === 'product' &&
      r.variant === variant &&
      (r.stage === 'acknowledged' || r.stage === undefined),
  );
  const other = results.find(
    (r) => r.strategy === strategy && r.variant === variant && r.instances === product?.instances,
  );
  if (!product || !other || other.claimsPerSecond === 0) return undefined;
  return product.claimsPerSecond / other.claimsPerSecond;
}

export function htmlReport(opts: {
  results: RunResult[];
  scenarios: { single: LabScenario; multi: LabScenario; capacity: LabCapacity };
  summaries: Record<string, string>;
  command: string;
  machine: string;
}): string {
  const sections: string[] = [
    `<p>Command: <code>${escapeHtml(opts.command)}</code>. Machine: ${escapeHtml(opts.machine)}.</p>`,
  ];
  for (const variant of ['single', 'capacity', 'multi'] as const) {
    const rs = opts.results.filter((r) => r.variant === variant);
    if (rs.length === 0) continue;
    // Speed only counts when the result is right: a strategy that sold wrongly is drawn grey.
    const bars = (title: string) =>
      barChart({
        title,
        unit: '/s',
        labelWidth: LABEL_WIDTH,
        bars: rs.map((r) => ({
          label: `${labelOf(r)} x${r.instances}`,
          value: r.claimsPerSecond,
          color: !r.correct ? '#9ca3af' : r.strategy === 'product' ? '#1d4ed8' : '#60a5fa',
        })),
      });
    const oversell = barChart({
      title: 'Oversold units (beyond stock) + users with two orders',
      labelWidth: LABEL_WIDTH,
      bars: rs.map((r) => ({
        label: `${labelOf(r)} x${r.instances}`,
        value: r.tally.oversoldUnits + r.tally.usersWithTwoOrders,
        color: r.correct ? '#16a34a' : '#dc2626',
      })),
    });
    if (variant === 'capacity') {
      const c = opts.scenarios.capacity;
      sections.push(
        '<h2>Capacity: sales per second at saturation</h2>',
        `<p>A closed loop of ${c.connectionsPerBase} connections per instance for ${c.seconds} s, each sending as soon as it is answered; ` +
          'every request a new user, stock that never runs out, so every answer is a sale. ' +
          'The product is measured the same way, its worker persisting as it goes.</p>',
        bars('Placed per second at saturation'),
        table(HEADERS, rs.map(rowOf)),
      );
      continue;
    }
    const s = opts.scenarios[variant];
    sections.push(
      `<h2>${variant === 'single' ? 'One coupon per claim: the storm' : `Multi-item orders (${s.itemsPerOrder} of ${s.products} products, all or nothing)`}</h2>`,
      `<p>${s.users.toLocaleString('en')} users at ${s.rate.toLocaleString('en')}/s (${(s.users / s.rate).toFixed(1)} s), ` +
        `${Math.round(s.duplicateShare * 100)}% pressing twice at once on two instances; stock ${s.stock.toLocaleString('en')} per product. ` +
        'Placed per second cannot exceed the arrival rate here; the capacity section measures the ceiling. ' +
        'Grey bars: the strategy sold wrongly (oversold, a user twice, or a stock that does not add up).</p>',
      bars('Placed per second (to the last placed answer)'),
      oversell,
      table(HEADERS, rs.map(rowOf)),
    );
  }
  sections.push(
    '<h2>What each strategy guarantees</h2>',
    `<ul>${Object.entries(opts.summaries)
      .map(([title, summary]) => `<li><b>${escapeHtml(title)}</b>: ${escapeHtml(summary)}</li>`)
      .join('')}</ul>`,
  );
  return page('Strategy lab: selling the same stock from many instances', sections, { maxWidth: 1300 });
}
