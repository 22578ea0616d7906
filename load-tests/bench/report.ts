import { barChart, escapeHtml, page, table } from '../lib/report-html.ts';
import type { DurabilityFigures } from './durability.ts';

interface Ratio {
  ratio: number;
  goal: string;
}

/** The figures of `npm run bench` that the page shows (bench.json holds all of them). */
export interface BenchRatios {
  claimVsBare: Ratio & { perRound: number[]; claimsPerSecond: number; barePerSecond: number };
  soldOutVsBare: Ratio & { perRound: number[]; rejectionsPerSecond: number };
  drainVsRawInsert: Ratio & { drainRowsPerSecond: number; rawInsertRowsPerSecond: number };
  persistenceLag: { intakePerSecond: number; p50Ms: number; p99Ms: number; goal: string };
}

export function durabilitySection(d: DurabilityFigures): string {
  return [
    '<h2>ACK_DURABILITY modes, side by side</h2>',
    `<p>${escapeHtml(d.setup)}.</p>`,
    table(
      [
        'mode',
        'claims/s',
        'vs redis (median)',
        'per round',
        'p50 ms',
        'p99 ms',
        'half-peak rate',
        'p99 there',
      ],
      d.modes.map((m) => [
        m.mode,
        m.claimsPerSecond,
        `${m.ratioVsRedis.toFixed(2)}x`,
        m.perRoundRatio.join(', '),
        m.p50Ms,
        m.p99Ms,
        `${m.halfPeak.ratePerSecond}/s`,
        `${m.halfPeak.p99Ms} ms`,
      ]),
    ),
    barChart({
      title: 'Claims per second by mode (median of rounds)',
      unit: '/s',
      bars: d.modes.map((m) => ({ label: m.mode, value: m.claimsPerSecond })),
    }),
    `<p>Replica mode: ${d.waits.replicaClaims} claims acknowledged after ${d.waits.calls} WAIT calls on the primary (one WAIT covers every claim answered before it was sent).</p>`,
    `<p>Goals: replica ${escapeHtml(d.goals.replicaVsRedis)} of redis; postgres p99 ${escapeHtml(d.goals.postgresP99AtHalfPeak)} at half of the peak intake.</p>`,
  ].join('\n');
}

export function benchReport(opts: {
  command: string;
  machine: string;
  ratios?: BenchRatios;
  durability?: DurabilityFigures;
}): string {
  const sections = [
    `<p>Command: <code>${escapeHtml(opts.command)}</code>. Machine: ${escapeHtml(opts.machine)}. Figures are ratios measured in one run.</p>`,
  ];
  const r = opts.ratios;
  if (r) {
    sections.push(
      '<h2>Ratios</h2>',
      table(
        ['measure', 'ratio', 'goal', 'detail'],
        [
          [
            'claim path vs bare JSON route',
            r.claimVsBare.ratio,
            r.claimVsBare.goal,
            `${r.claimVsBare.claimsPerSecond} claims/s vs ${r.claimVsBare.barePerSecond} req/s (rounds ${r.claimVsBare.perRound.join(', ')})`,
          ],
          [
            'sold-out rejections vs bare route',
            r.soldOutVsBare.ratio,
            r.soldOutVsBare.goal,
            `${r.soldOutVsBare.rejectionsPerSecond} 410s/s (rounds ${r.soldOutVsBare.perRound.join(', ')})`,
          ],
          [
            'worker drain vs raw batched INSERT',
            r.drainVsRawInsert.ratio,
            r.drainVsRawInsert.goal,
            `${r.drainVsRawInsert.drainRowsPerSecond} vs ${r.drainVsRawInsert.rawInsertRowsPerSecond} rows/s`,
          ],
          [
            `persistence lag at ${r.persistenceLag.intakePerSecond} claims/s`,
            `p99 ${r.persistenceLag.p99Ms} ms`,
            r.persistenceLag.goal,
            `p50 ${r.persistenceLag.p50Ms} ms`,
          ],
        ],
      ),
    );
  }
  if (opts.durability) sections.push(durabilitySection(opts.durability));
  return page('npm run bench', sections, { maxWidth: 1000 });
}
