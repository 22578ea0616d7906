import type { Registry } from 'prom-client';

/**
 * A counter and a histogram for the request path. prom-client's own classes hash and validate the label
 * values on every call (`labels()` included); these find a label set's series with one Map lookup and
 * update it in place, and render at scrape time, in prom-client's format, on the same registry.
 */
interface Series<T> {
  labels: Record<string, string>;
  data: T;
}

abstract class HotMetric<T> {
  private readonly series = new Map<string, Series<T>>();
  constructor(
    readonly name: string,
    readonly help: string,
    readonly type: 'counter' | 'histogram',
    private readonly labelNames: readonly string[],
    registry: Registry,
  ) {
    registry.registerMetric(this as never);
  }

  protected abstract fresh(): T;

  /** The series of these label values (in labelNames' order), made on first use. */
  protected at(values: readonly string[]): T {
    const key = values.join('\u0000');
    let s = this.series.get(key);
    if (!s) {
      const labels: Record<string, string> = {};
      this.labelNames.forEach((n, i) => {
        labels[n] = values[i] ?? '';
      });
      s = { labels, data: this.fresh() };
      this.series.set(key, s);
    }
    return s.data;
  }

  protected all(): IterableIterator<Series<T>> {
    return this.series.values();
  }

  protected abstract values(): {
    labels: Record<string, string | number>;
    value: number;
    metricName?: string;
  }[];

  get() {
    return { name: this.name, help: this.help, type: this.type, aggregator: 'sum', values: this.values() };
  }
}

export class HotCounter extends HotMetric<{ n: number }> {
  constructor(opts: { name: string; help: string; labelNames: readonly string[]; registry: Registry }) {
    super(opts.name, opts.help, 'counter', opts.labelNames, opts.registry);
  }
  protected fresh() {
    return { n: 0 };
  }
  /** A handle on one series: keep it, and count on it. */
  handle(...values: string[]): { inc(by?: number): void } {
    const data = this.at(values);
    return {
      inc: (by = 1) => {
        data.n += by;
      },
    };
  }
  protected values() {
    return [...this.all()].map((s) => ({ labels: s.labels, value: s.data.n }));
  }
}

interface Buckets {
  counts: number[];
  sum: number;
  count: number;
}

export class HotHistogram extends HotMetric<Buckets> {
  private readonly bounds: readonly number[];
  constructor(opts: {
    name: string;
    help: string;
    labelNames: readonly string[];
    buckets: readonly number[];
    registry: Registry;
  }) {
    super(opts.name, opts.help, 'histogram', opts.labelNames, opts.registry);
    this.bounds = opts.buckets;
  }
  protected fresh(): Buckets {
    return { counts: this.bounds.map(() => 0), sum: 0, count: 0 };
  }
  handle(...values: string[]): { observe(value: number): void } {
    const data = this.at(values);
    const bounds = this.bounds;
    return {
      observe: (value) => {
        data.sum += value;
        data.count += 1;
        for (let i = 0; i < bounds.length; i++) {
          if (value <= bounds[i]!) {
            data.counts[i]! += 1;
            return;
          }
        }
      },
    };
  }
  protected values() {
    const out: { labels: Record<string, string | number>; value: number; metricName?: string }[] = [];
    for (const s of this.all()) {
      let cumulative = 0;
      this.bounds.forEach((le, i) => {
        cumulative += s.data.counts[i]!;
        out.push({ labels: { ...s.labels, le }, value: cumulative, metricName: `${this.name}_bucket` });
      });
      out.push({
        labels: { ...s.labels, le: '+Inf' },
        value: s.data.count,
        metricName: `${this.name}_bucket`,
      });
      out.push({ labels: s.labels, value: s.data.sum, metricName: `${this.name}_sum` });
      out.push({ labels: s.labels, value: s.data.count, metricName: `${this.name}_count` });
    }
    return out;
  }
}
