import { escapeHtml, page, table } from '../lib/report-html.ts';

export interface SlowEntry {
  ms: number;
  command: string;
}

export interface CommandLatency {
  command: string;
  calls: number;
  p50Us: number;
  p99Us: number;
  p999Us: number;
}

/** The claim scripts and the reconciler's scan, then the other commands with the longest p99.9. */
export function notable(commands: CommandLatency[], n = 5): CommandLatency[] {
  const named = ['evalsha', 'hscan'].flatMap((name) => commands.filter((c) => c.command === name));
  const rest = commands.filter((c) => !named.includes(c)).sort((a, b) => b.p999Us - a.p999Us);
  return [...named, ...rest].slice(0, n);
}

export interface ScaleFigures {
  machine: string;
  setup: string;
  memory: {
    bytesPerPendingClaim: number;
    bytesPerPersistedClaim: number;
    probeBytesPerPersistedClaim: number;
    usedMemoryBytes: { baseline: number; withPending: number; afterBig: number };
    saleOf1e6MB: number;
    saleOf1e7MB: number;
  };
  seeding: { claims: number; seconds: number; claimsPerSecond: number; slowest: SlowEntry[] };
  latency: {
    windows: {
      campaign: 'small' | 'big';
      p50: number;
      p99: number;
      claims: number;
      passes: number;
      passMs: number[];
      slowMaxMs: number;
      slowOver10Ms: number;
      slowest: SlowEntry[];
      commands: CommandLatency[];
    }[];
    p50Ratio: number[];
    p99Ratio: number[];
    goal: string;
  };
  slowlog: { thresholdMs: number; entries: number; maxMs: number; slowest: SlowEntry[]; goal: string };
}

const med = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.floor(s.length / 2)]! : 0;
};

export function scaleTable(f: ScaleFigures): string {
  const m = f.memory;
  return [
    `scale (${f.setup})`,
    `  Redis memory per pending claim    ${m.bytesPerPendingClaim} B`,
    `  Redis memory per persisted claim  ${m.bytesPerPersistedClaim} B  (at ${f.seeding.claims}; ${m.probeBytesPerPersistedClaim} B at the first 50,000)`,
    `  a sale of 10^6: ${m.saleOf1e6MB} MB, of 10^7: ${m.saleOf1e7MB} MB once persisted`,
    `  seeding ${f.seeding.claims} claims (script + INSERT + mark): ${f.seeding.seconds} s, ${f.seeding.claimsPerSecond} claims/s`,
    '  claims while reconcile passes run:',
    ...f.latency.windows.map(
      (w) =>
        `    ${w.campaign.padEnd(5)} p50 ${w.p50} ms  p99 ${w.p99} ms  (${w.claims} claims, ${w.passes} passes, median pass ${med(w.passMs)} ms)` +
        `  SLOWLOG max ${w.slowMaxMs} ms, ${w.slowOver10Ms} over 10 ms: ${w.slowest.map((e) => `${e.ms.toFixed(1)} ${e.command}`).join('; ')}`,
    ),
    '  server-side latency per command (INFO latencystats, µs p50/p99/p99.9, calls), per window:',
    ...f.latency.windows.map(
      (w) =>
        `    ${w.campaign.padEnd(5)} ` +
        notable(w.commands)
          .map((c) => `${c.command} ${c.p50Us}/${c.p99Us}/${c.p999Us} (${c.calls})`)
          .join('  '),
    ),
    `  big / small: p50 ${f.latency.p50Ratio.join(', ')}; p99 ${f.latency.p99Ratio.join(', ')}  (goal ${f.latency.goal})`,
    `  SLOWLOG while measuring (from ${f.slowlog.thresholdMs} ms): ${f.slowlog.entries} entries, max ${f.slowlog.maxMs} ms (goal ${f.slowlog.goal})`,
    ...f.slowlog.slowest.map((s) => `    ${s.ms.toFixed(2)} ms  ${s.command}`),
    `  slowest while seeding: ${f.seeding.slowest.map((s) => `${s.ms.toFixed(2)} ms ${s.command}`).join('; ') || 'none above the threshold'}`,
  ].join('\n');
}

export function scaleReport(f: ScaleFigures): string {
  const m = f.memory;
  return page(
    'npm run bench:scale',
    [
      `<p>Machine: ${escapeHtml(f.machine)}. ${escapeHtml(f.setup)}.</p>`,
      '<h2>Redis memory</h2>',
      table(
        ['measure', 'value'],
        [
          ['per pending claim', `${m.bytesPerPendingClaim} B`],
          ['per persisted claim', `${m.bytesPerPersistedClaim} B`],
          ['a sale of 10^6 coupons, persisted', `${m.saleOf1e6MB} MB`],
          ['a sale of 10^7 coupons, persisted', `${m.saleOf1e7MB} MB`],
          ['seeding rate (script, INSERT, mark)', `${f.seeding.claimsPerSecond} claims/s`],
        ],
      ),
      '<h2>Claims while reconciliation passes run</h2>',
      table(
        [
          'campaign',
          'p50 ms',
          'p99 ms',
          'claims',
          'passes',
          'median pass ms',
          'SLOWLOG max ms',
          'over 10 ms',
        ],
        f.latency.windows.map((w) => [
          w.campaign,
          w.p50,
          w.p99,
          w.claims,
          w.passes,
          med(w.passMs),
          w.slowMaxMs,
          w.slowOver10Ms,
        ]),
      ),
      `<p>big / small: p50 ${f.latency.p50Ratio.join(', ')}; p99 ${f.latency.p99Ratio.join(', ')} (goal ${escapeHtml(f.latency.goal)}).</p>`,
      '<h2>Server-side latency per command, per window (µs)</h2>',
      table(
        ['window', 'command', 'calls', 'p50', 'p99', 'p99.9'],
        f.latency.windows.flatMap((w, i) =>
          w.commands
            .slice(0, 6)
            .map((c) => [`${i + 1}. ${w.campaign}`, c.command, c.calls, c.p50Us, c.p99Us, c.p999Us]),
        ),
      ),
      '<h2>SLOWLOG</h2>',
      `<p>${f.slowlog.entries} entries from ${f.slowlog.thresholdMs} ms, max ${f.slowlog.maxMs} ms (goal ${escapeHtml(f.slowlog.goal)}).</p>`,
      table(
        ['ms', 'command'],
        f.slowlog.slowest.map((s) => [s.ms.toFixed(2), s.command]),
      ),
    ],
    { maxWidth: 1000 },
  );
}
