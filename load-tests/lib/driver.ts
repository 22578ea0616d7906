import { setMaxListeners } from 'node:events';
import { Pool } from 'undici';
import { recordAnswer } from './progress.ts';
import { summarize, Timeline } from './stats.ts';

export interface HttpRequest {
  base: string;
  method: 'GET' | 'POST';
  path: string;
  headers?: Record<string, string>;
  body?: string;
  /** Gives up on this request alone after this long (status 0), within the arrival's own deadline. */
  timeoutMs?: number;
}

export interface HttpResult {
  status: number;
  body: string;
  /** From the arrival's scheduled time, so a slow server cannot hide queueing (no coordinated omission). */
  latencyMs: number;
}

export interface OpenModelOptions {
  /** Number of arrivals. */
  arrivals: number;
  /** Seconds from the start at which arrival i is due. */
  arrivalTime: (i: number) => number;
  /** What arrival i does; it may send several requests (use `send`). */
  arrive: (i: number, send: (req: HttpRequest) => Promise<HttpResult>) => Promise<void>;
  connectionsPerBase?: number;
  /**
   * A request unanswered this long after its arrival was due (to within 100 ms) counts as an error (status
   * 0), as a user gives up; the time it waited for a free connection in the pool counts too. Default 60 s.
   */
  timeoutMs?: number;
  /** Stops sending after this many seconds even if arrivals remain (a safety bound). */
  maxSeconds?: number;
  onProgress?: (p: Progress) => void;
}

export interface Progress {
  elapsedS: number;
  scheduled: number;
  completed: number;
  inFlight: number;
  statuses: Record<string, number>;
  lastSecond: { count: number; p50: number; p99: number };
}

export interface OpenModelResult {
  startedAt: number;
  durationS: number;
  requests: number;
  statuses: Record<string, number>;
  errors: number;
  latency: ReturnType<typeof summarize>;
  timeline: ReturnType<Timeline['series']>;
  /** Arrivals that started more than 100 ms behind schedule: the driver itself could not keep up. */
  lateStarts: number;
}

/**
 * An open-model load driver: arrival i starts at its scheduled time whether or not earlier requests have
 * been answered, as real users do, so a slow service faces a growing queue instead of a politely slower
 * client. One undici connection pool per base URL.
 */
export async function runOpenModel(opts: OpenModelOptions): Promise<OpenModelResult> {
  const pools = new Map<string, Pool>();
  const poolFor = (base: string) => {
    let pool = pools.get(base);
    if (!pool) {
      pool = new Pool(base, {
        connections: opts.connectionsPerBase ?? 64,
        pipelining: 1,
        keepAliveTimeout: 30_000,
      });
      pools.set(base, pool);
    }
    return pool;
  };
  const startedAt = performance.now();
  const wallStart = Date.now();
  const timeline = new Timeline(startedAt);
  const latencies: number[] = [];
  const statuses = new Map<number, number>();
  let errors = 0;
  let scheduled = 0;
  let completed = 0;
  let lateStarts = 0;
  let lastSecond: number[] = [];
  const running = new Set<Promise<void>>();

  // One abort signal per 100 ms of arrivals rather than a timer per request (the generator shares the CPU).
  const timeoutMs = opts.timeoutMs ?? 60_000;
  const deadlines = new Map<number, AbortSignal>();
  const deadlineFor = (due: number) => {
    const bucket = Math.floor((due - startedAt) / 100);
    let signal = deadlines.get(bucket);
    if (!signal) {
      const fires = startedAt + bucket * 100 + timeoutMs;
      signal = AbortSignal.timeout(Math.max(1, Math.ceil(fires - performance.now())));
      // Every request of the bucket listens on it; that is the point, not a leak.
      setMaxListeners(0, signal);
      deadlines.set(bucket, signal);
      signal.addEventListener('abort', () => deadlines.delete(bucket), { once: true });
    }
    return signal;
  };

  const sendFor =
    (due: number) =>
    async (req: HttpRequest): Promise<HttpResult> => {
      let status = 0;
      let body = '';
      try {
        const res = await poolFor(req.base).request({
          path: req.path,
          method: req.method,
          headers: req.headers ?? {},
          body: req.body ?? null,
          signal:
            req.timeoutMs === undefined
              ? deadlineFor(due)
              : AbortSignal.any([deadlineFor(due), AbortSignal.timeout(req.timeoutMs)]),
        });
        // An answer counts once its body is in; a body cut off midway is an error, not that status.
        body = await res.body.text();
        status = res.statusCode;
      } catch {
        errors++;
      }
      const now = performance.now();
      const latencyMs = now - due;
      latencies.push(latencyMs);
      lastSecond.push(latencyMs);
      statuses.set(status, (statuses.get(status) ?? 0) + 1);
      timeline.record(now, status, latencyMs);
      recordAnswer(status, latencyMs);
      completed++;
      return { status, body, latencyMs };
    };

  const progress = setInterval(() => {
    const sorted = lastSecond.sort((a, b) => a - b);
    opts.onProgress?.({
      elapsedS: (performance.now() - startedAt) / 1000,
      scheduled,
      completed,
      inFlight: running.size,
      statuses: Object.fromEntries([...statuses].map(([s, n]) => [String(s), n])),
      lastSecond: {
        count: sorted.length,
        p50: sorted[Math.floor(sorted.length * 0.5)] ?? 0,
        p99: sorted[Math.floor(sorted.length * 0.99)] ?? 0,
      },
    });
    lastSecond = [];
  }, 1_000);

  try {
    const maxMs = (opts.maxSeconds ?? Number.POSITIVE_INFINITY) * 1000;
    while (scheduled < opts.arrivals) {
      const elapsed = performance.now() - startedAt;
      if (elapsed > maxMs) break;
      while (scheduled < opts.arrivals && opts.arrivalTime(scheduled) * 1000 <= elapsed) {
        const i = scheduled++;
        const due = startedAt + opts.arrivalTime(i) * 1000;
        if (elapsed - (due - startedAt) > 100) lateStarts++;
        const run = opts.arrive(i, sendFor(due)).catch(() => {
          errors++;
        });
        running.add(run);
        void run.finally(() => running.delete(run));
      }
      const next = scheduled < opts.arrivals ? opts.arrivalTime(scheduled) * 1000 - elapsed : 0;
      await new Promise((r) => setTimeout(r, Math.max(1, Math.min(next, 20))));
    }
    while (running.size > 0) await Promise.allSettled([...running]);
  } finally {
    clearInterval(progress);
    await Promise.all([...pools.values()].map((p) => p.close()));
  }
  return {
    startedAt: wallStart,
    durationS: (performance.now() - startedAt) / 1000,
    requests: completed,
    statuses: Object.fromEntries([...statuses].map(([s, n]) => [String(s), n])),
    errors,
    latency: summarize(latencies),
    timeline: timeline.series(),
    lateStarts,
  };
}

export interface ClosedLoopOptions {
  bases: string[];
  /** Requests in flight per base: each connection sends its next request when the last one is answered. */
  connectionsPerBase: number;
  /** How long to keep sending; requests in flight at the end are awaited (up to `graceMs`). */
  seconds: number;
  graceMs?: number;
  /** Request number n (0, 1, 2, ... across every connection) to `base`, or undefined to stop this connection. */
  request: (n: number, base: string) => HttpRequest | undefined;
  onAnswer?: (n: number, res: HttpResult) => void;
}

export interface ClosedLoopResult {
  /** From the first request to the last answer. */
  durationS: number;
  requests: number;
  statuses: Record<string, number>;
  /** Transport errors and requests cut off by the grace period (counted as status 0). */
  errors: number;
  /** Seconds from the start to the last answer of each status. */
  lastOfStatus: Record<string, number>;
  /** From each request's send to its answer. */
  latency: ReturnType<typeof summarize>;
  /** Connections stopped early because `request` ran out (the run then measured less than `seconds`). */
  exhausted: number;
}

/**
 * A closed-loop driver, for throughput at saturation: a fixed number of connections per base, each
 * sending as soon as its previous request is answered, for a fixed time. (The open model above measures
 * what users see at a given arrival rate; this one measures how many requests a second the service
 * completes when it never waits for work.)
 */
export async function runClosedLoop(opts: ClosedLoopOptions): Promise<ClosedLoopResult> {
  const startedAt = performance.now();
  const stopAt = startedAt + opts.seconds * 1000;
  // One signal for the whole run instead of a timer per request.
  const cutOff = AbortSignal.timeout(opts.seconds * 1000 + (opts.graceMs ?? 10_000));
  setMaxListeners(0, cutOff);
  const latencies: number[] = [];
  const statuses = new Map<number, number>();
  const lastOfStatus = new Map<number, number>();
  let errors = 0;
  let next = 0;
  let exhausted = 0;
  let lastAnswer = startedAt;
  const pools = opts.bases.map(
    (base) =>
      new Pool(base, { connections: opts.connectionsPerBase, pipelining: 1, keepAliveTimeout: 30_000 }),
  );
  const loop = async (base: string, pool: Pool) => {
    while (performance.now() < stopAt) {
      const n = next++;
      const req = opts.request(n, base);
      if (!req) {
        exhausted++;
        return;
      }
      const sent = performance.now();
      let status = 0;
      let body = '';
      try {
        const res = await pool.request({
          path: req.path,
          method: req.method,
          headers: req.headers ?? {},
          body: req.body ?? null,
          signal: cutOff,
        });
        // An answer counts once its body is in; a body cut off midway is an error, not that status.
        body = await res.body.text();
        status = res.statusCode;
      } catch {
        errors++;
      }
      const now = performance.now();
      latencies.push(now - sent);
      recordAnswer(status, now - sent);
      statuses.set(status, (statuses.get(status) ?? 0) + 1);
      if (status !== 0) {
        // A request cut off at the grace deadline would otherwise stretch the run by the whole grace.
        lastAnswer = Math.max(lastAnswer, now);
        lastOfStatus.set(status, (now - startedAt) / 1000);
      }
      opts.onAnswer?.(n, { status, body, latencyMs: now - sent });
      if (status === 0) {
        if (cutOff.aborted) return;
        await new Promise((r) => setTimeout(r, 10)); // refused or reset: do not spin on it
      }
    }
  };
  try {
    await Promise.all(
      opts.bases.flatMap((base, i) =>
        Array.from({ length: opts.connectionsPerBase }, () => loop(base, pools[i]!)),
      ),
    );
  } finally {
    await Promise.all(pools.map((p) => p.close()));
  }
  const record = (m: Map<number, number>) => Object.fromEntries([...m].map(([s, n]) => [String(s), n]));
  return {
    durationS: (lastAnswer - startedAt) / 1000,
    requests: latencies.length,
    statuses: record(statuses),
    errors,
    lastOfStatus: record(lastOfStatus),
    latency: summarize(latencies),
    exhausted,
  };
}
