/** Latency and throughput bookkeeping for load runs. */

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank]!;
}

export interface Percentiles {
  count: number;
  p50: number;
  p90: number;
  p95: number;
  p99: number;
  max: number;
}

export function summarize(values: number[]): Percentiles {
  const sorted = Float64Array.from(values).sort();
  const arr = Array.from(sorted);
  const round = (x: number) => Math.round(x * 10) / 10;
  return {
    count: arr.length,
    p50: round(percentile(arr, 50)),
    p90: round(percentile(arr, 90)),
    p95: round(percentile(arr, 95)),
    p99: round(percentile(arr, 99)),
    max: round(arr.at(-1) ?? 0),
  };
}

/** Per-second buckets of completed requests: counts by status and latencies. */
export class Timeline {
  private readonly buckets: { statuses: Map<number, number>; latencies: number[] }[] = [];
  constructor(private readonly startedAt: number) {}

  record(at: number, status: number, latencyMs: number): void {
    const second = Math.max(0, Math.floor((at - this.startedAt) / 1000));
    while (this.buckets.length <= second) this.buckets.push({ statuses: new Map(), latencies: [] });
    const b = this.buckets[second]!;
    b.statuses.set(status, (b.statuses.get(status) ?? 0) + 1);
    b.latencies.push(latencyMs);
  }

  series(): { second: number; statuses: Record<string, number>; latency: Percentiles }[] {
    return this.buckets.map((b, second) => ({
      second,
      statuses: Object.fromEntries([...b.statuses].map(([s, n]) => [String(s), n])),
      latency: summarize(b.latencies),
    }));
  }
}
