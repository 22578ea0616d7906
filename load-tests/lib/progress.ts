/**
 * A progress line per second while a load tool runs: elapsed time, the current phase, answers in the
 * last second (rate and p99) and the outcome mix of the phase so far.
 *
 * The drivers (lib/driver.ts) and the benchmark's autocannon rounds report each answer with
 * `recordAnswer`; that is a counter bump and nothing else until an entry point calls `watchProgress()`
 * (which starts the one timer), so tests that drive load print nothing. Like children.ts, importing this
 * has no side effects.
 */

interface Tally {
  statuses: Map<number, number>;
  lastSecond: number[];
}

let phase = '';
let phaseTally: Tally = { statuses: new Map(), lastSecond: [] };
let watching = false;

/** Counts one answer (status 0: a transport error or a timeout). Cheap: the generator shares the CPU. */
export function recordAnswer(status: number, latencyMs: number): void {
  if (!watching) return;
  phaseTally.statuses.set(status, (phaseTally.statuses.get(status) ?? 0) + 1);
  phaseTally.lastSecond.push(latencyMs);
}

/** Names what runs now (a round, a mode); the outcome mix starts again from zero. */
export function setPhase(name: string): void {
  phase = name;
  phaseTally = { statuses: new Map(), lastSecond: [] };
}

/** Renames the current phase (its step, say) and keeps its tally. */
export function renamePhase(name: string): void {
  phase = name;
}

/** One progress line from a tally (exported for its test). */
export function progressLine(elapsedS: number, name: string, statuses: Map<number, number>, last: number[]) {
  const sorted = [...last].sort((a, b) => a - b);
  const p99 = sorted[Math.min(sorted.length - 1, Math.ceil(sorted.length * 0.99) - 1)] ?? 0;
  const mix = [...statuses]
    .sort(([a], [b]) => a - b)
    .map(([s, n]) => `${s === 0 ? 'err' : s} ${n}`)
    .join(', ');
  return (
    `[${elapsedS.toFixed(0).padStart(4)}s] ${name.padEnd(34)} ${String(last.length).padStart(6)}/s` +
    `  p99 ${p99.toFixed(1).padStart(6)} ms  | ${mix || 'no answers yet'}`
  );
}

/**
 * For entry points: prints a progress line every second (to stderr, so a tool's stdout keeps its
 * figures) until the returned function is called. Seconds without any answer print only while a phase
 * is named (setup steps stay quiet).
 */
export function watchProgress(out: (line: string) => void = (l) => process.stderr.write(`${l}\n`)) {
  watching = true;
  const started = performance.now();
  const timer = setInterval(() => {
    const last = phaseTally.lastSecond;
    phaseTally.lastSecond = [];
    if (last.length === 0 && phase === '') return;
    out(progressLine((performance.now() - started) / 1000, phase || 'running', phaseTally.statuses, last));
  }, 1_000);
  timer.unref();
  return () => {
    clearInterval(timer);
    watching = false;
  };
}
