import type { Redis } from 'ioredis';
import { UnavailableError } from '../shared/errors.ts';
import type { ServerRun } from './server-run.ts';

// Redis replies that mean "not now" rather than "this script is wrong".
const TRANSIENT_REPLY = /^(LOADING|BUSY|OOM|MASTERDOWN|READONLY|TRYAGAIN|CLUSTERDOWN|NOREPLICAS|MOVED|ASK)\b/;

function isScriptError(err: unknown): boolean {
  return err instanceof Error && err.name === 'ReplyError' && !TRANSIENT_REPLY.test(err.message);
}

/**
 * Every request-path Redis call goes through the gate. It turns connection errors and transient replies
 * into UnavailableError (503), bounds the wait for a reply, and hands each call the run id of the server
 * the connection is attached to (the fence; unknown while reconnecting, when calls fail at once).
 *
 * The bound asks "is Redis answering?", not "was this one command fast?". Under a burst a command can
 * sit in ioredis' autopipeline behind thousands of others, or this process can be too busy to read a
 * reply that has arrived; neither means Redis is down, and failing such a claim after Redis executed it
 * would tell a winner they lost. So a call fails only when it has waited `timeoutMs` while no byte at all
 * arrived on the connection (see silence.ts), and only after this process has looked: the verdict waits
 * for the next I/O poll, so bytes already sitting in the socket are read before anyone is failed. After
 * that the gate stays shut for `timeoutMs`, failing at once instead of piling commands onto a connection
 * that gets no answers. One sweep timer serves every call in flight: no timer per request.
 */
export interface RedisGate {
  readonly client: Redis;
  run<T>(call: (redis: Redis, runId: string) => Promise<T>): Promise<T>;
}

interface InFlight {
  since: number;
  fail: (err: Error) => void;
}

const silent = (timeoutMs: number) =>
  new UnavailableError(
    'redis',
    new Error(`redis silent for ${timeoutMs} ms`),
    'redis did not answer in time; the outcome is unknown, retry with the same Idempotency-Key',
  );

export function createRedisGate(
  client: Redis,
  timeoutMs: number,
  opts: { now?: () => number; serverRun?: ServerRun } = {},
): RedisGate {
  const now = opts.now ?? Date.now;
  const watch = watchSilence(client, timeoutMs, now);
  const inFlight = new Set<InFlight>();
  let shutUntil = 0;
  let sweeper: NodeJS.Timeout | undefined;
  let verdictPending = false;

  /** Runs after the poll phase that follows a suspicious sweep: a byte read there clears Redis. */
  const verdict = () => {
    verdictPending = false;
    const t = now();
    if (!watch.silentFor(t)) return;
    let failed = false;
    for (const call of inFlight) {
      if (t - call.since < timeoutMs) continue;
      inFlight.delete(call);
      failed = true;
      call.fail(silent(timeoutMs));
    }
    if (failed) shutUntil = t + timeoutMs;
  };

  const sweep = () => {
    watch.tick(now());
    if (!verdictPending && watch.silentFor(now())) {
      verdictPending = true;
      setImmediate(verdict);
    }
    if (inFlight.size === 0 && sweeper) {
      clearInterval(sweeper);
      sweeper = undefined;
    }
  };

  /**
   * A connection being set up (this instance just started, or Redis just came back) is waited for, up
   * to the timeout: a claim arriving in that moment is slowed down, not refused. One that is between
   * retries because Redis is away fails at once.
   */
  const whenConnected = (): Promise<void> => {
    const { serverRun } = opts;
    if (!serverRun || !['wait', 'connecting', 'connect', 'ready'].includes(client.status)) {
      return Promise.reject(new UnavailableError('redis', new Error(`redis connection is ${client.status}`)));
    }
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new UnavailableError('redis', new Error('redis connection not ready in time'))),
        timeoutMs,
      );
      void serverRun.known().then(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  };

  return {
    client,
    run<T>(call: (redis: Redis, runId: string) => Promise<T>): Promise<T> {
      if (shutUntil > now()) {
        return Promise.reject(
          new UnavailableError('redis', new Error('redis gave no reply recently; not sending')),
        );
      }
      const runId = opts.serverRun ? opts.serverRun.current() : '';
      if (runId === null) return whenConnected().then(() => this.run(call));
      return new Promise<T>((resolve, reject) => {
        const entry: InFlight = { since: now(), fail: reject };
        inFlight.add(entry);
        if (!sweeper) {
          // Nothing was expected of Redis while idle: the silence is counted from now.
          watch.expectFrom(now());
          sweeper = setInterval(sweep, watch.every);
          sweeper.unref();
        }
        call(client, runId).then(
          (value) => {
            if (inFlight.delete(entry)) resolve(value);
          },
          (err: unknown) => {
            if (!inFlight.delete(entry)) return;
            reject(isScriptError(err) ? err : new UnavailableError('redis', err));
          },
        );
      });
    },
  };
}

/** However busy this process, a Redis silent this many timeouts (wall clock) is given up on. */
const WALL_CLOCK_FACTOR = 4;

/**
 * How long Redis has been silent on a connection, as this process could judge it: the time it spent
 * able to read while no byte came (a sweep that runs late means this process was busy, and that stretch
 * does not count), with a wall-clock bound for a process so busy that every sweep runs late.
 */
function watchSilence(client: Redis, timeoutMs: number, now: () => number) {
  const every = Math.max(10, Math.floor(timeoutMs / 4));
  let lastByteAt = now();
  let lastSweep = 0;
  let attentiveSilence = 0;
  let expectingSince = 0;
  // Each (re)connection brings a new socket; any bytes on it mean Redis is alive and answering.
  const heard = () => {
    lastByteAt = now();
    attentiveSilence = 0;
  };
  const listen = () => client.stream?.on('data', heard);
  client.on('connect', listen);
  if (client.status === 'connect' || client.status === 'ready') listen();
  return {
    every,
    expectFrom(t: number) {
      lastSweep = t;
      expectingSince = t;
      attentiveSilence = 0;
    },
    tick(t: number) {
      // An on-time sweep adds the time since the last sweep or byte, whichever is later.
      if (t - lastSweep <= every * 2) attentiveSilence += t - Math.max(lastSweep, lastByteAt);
      lastSweep = t;
    },
    silentFor(t: number) {
      const wallSilence = t - Math.max(lastByteAt, expectingSince);
      return attentiveSilence >= timeoutMs || wallSilence >= timeoutMs * WALL_CLOCK_FACTOR;
    },
  };
}
