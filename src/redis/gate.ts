import type { Redis } from 'ioredis';
import { UnavailableError } from '../shared/errors.ts';

// Redis replies that mean "not now" rather than "this script is wrong".
const TRANSIENT_REPLY = /^(LOADING|BUSY|OOM|MASTERDOWN|READONLY|TRYAGAIN|CLUSTERDOWN|NOREPLICAS)\b/;

function isScriptError(err: unknown): boolean {
  return err instanceof Error && err.name === 'ReplyError' && !TRANSIENT_REPLY.test(err.message);
}

/**
 * Every request-path Redis call goes through the gate. It turns connection errors and transient replies
 * into UnavailableError (503) and bounds the wait for a reply.
 *
 * The bound asks "is Redis answering?", not "was this one command fast?". Under a burst a command can
 * sit in ioredis' autopipeline behind thousands of others (whose callbacks all fire only when the last
 * reply is in), or this process can be too busy to read a reply that has arrived; neither means Redis is
 * down, and failing such a claim after Redis executed it would tell a winner they lost. So a call fails
 * only when it has waited `timeoutMs` while no byte at all arrived on the connection during `timeoutMs` of
 * this process' attention: the stretch before a sweep that runs late (this process was busy, not Redis)
 * does not count; and, however busy the process, after 4 x `timeoutMs` of silence by the wall clock.
 * After that
 * the gate stays shut for `timeoutMs`, failing at once instead of piling commands onto a connection that
 * gets no answers. One sweep timer serves every call in flight: no timer per request.
 */
export interface RedisGate {
  readonly client: Redis;
  run<T>(call: (redis: Redis) => Promise<T>): Promise<T>;
}

interface InFlight {
  since: number;
  fail: (err: Error) => void;
}

/** However busy this process, a Redis silent this many timeouts (wall clock) is given up on. */
const WALL_CLOCK_FACTOR = 4;

export function createRedisGate(client: Redis, timeoutMs: number, now: () => number = Date.now): RedisGate {
  let shutUntil = 0;
  let lastByteAt = now();
  const inFlight = new Set<InFlight>();
  const every = Math.max(10, Math.floor(timeoutMs / 4));
  let sweeper: NodeJS.Timeout | undefined;
  let lastSweep = 0;
  /** Time this process spent able to read while no byte came, since the last byte or the first call. */
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

  const sweep = () => {
    const t = now();
    // A late sweep means this process was busy (a burst being parsed, routed, answered): it may not even
    // have written its commands yet, let alone read the replies, so that stretch is not Redis' silence.
    // An on-time sweep adds the time since the last sweep or byte, whichever is later.
    if (t - lastSweep <= every * 2) attentiveSilence += t - Math.max(lastSweep, lastByteAt);
    lastSweep = t;
    // Backstop for a process so busy that every sweep runs late: a wall-clock bound on the silence.
    const wallSilence = t - Math.max(lastByteAt, expectingSince);
    if (attentiveSilence >= timeoutMs || wallSilence >= timeoutMs * WALL_CLOCK_FACTOR) {
      let failed = false;
      for (const call of inFlight) {
        if (t - call.since < timeoutMs) continue;
        inFlight.delete(call);
        failed = true;
        call.fail(
          new UnavailableError(
            'redis',
            new Error(`redis silent for ${timeoutMs} ms`),
            'redis did not answer in time; the outcome is unknown, retry with the same Idempotency-Key',
          ),
        );
      }
      if (failed) shutUntil = t + timeoutMs;
    }
    if (inFlight.size === 0 && sweeper) {
      clearInterval(sweeper);
      sweeper = undefined;
    }
  };

  return {
    client,
    run<T>(call: (redis: Redis) => Promise<T>): Promise<T> {
      if (shutUntil > now()) {
        return Promise.reject(
          new UnavailableError('redis', new Error('redis gave no reply recently; not sending')),
        );
      }
      return new Promise<T>((resolve, reject) => {
        const entry: InFlight = { since: now(), fail: reject };
        inFlight.add(entry);
        if (!sweeper) {
          lastSweep = now();
          // Nothing was expected of Redis while idle: the silence is counted from now.
          expectingSince = lastSweep;
          attentiveSilence = 0;
          sweeper = setInterval(sweep, every);
          sweeper.unref();
        }
        call(client).then(
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
