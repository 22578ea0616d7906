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
 * down, and failing such a claim after Redis executed it would tell a winner they lost. So a deadline is
 * extended while bytes keep arriving on the connection or while this process was itself late to check,
 * and a call fails only when Redis has been silent for `timeoutMs`. After that the gate stays shut for
 * `timeoutMs`, failing at once instead of piling commands onto a connection that gets no answers.
 */
export interface RedisGate {
  readonly client: Redis;
  run<T>(call: (redis: Redis) => Promise<T>): Promise<T>;
}

/** A call waits at most this many deadlines while Redis keeps answering other calls. */
const MAX_EXTENSIONS = 20;

export function createRedisGate(client: Redis, timeoutMs: number, now: () => number = Date.now): RedisGate {
  let shutUntil = 0;
  let lastReplyAt = 0;
  const silent = () => now() - lastReplyAt >= timeoutMs;
  const heard = () => {
    lastReplyAt = now();
  };
  // Each (re)connection brings a new socket; any bytes on it mean Redis is alive and answering.
  const listen = () => client.stream?.on('data', heard);
  client.on('connect', listen);
  if (client.status === 'connect' || client.status === 'ready') listen();

  return {
    client,
    run<T>(call: (redis: Redis) => Promise<T>): Promise<T> {
      if (shutUntil > now()) {
        return Promise.reject(
          new UnavailableError('redis', new Error('redis gave no reply recently; not sending')),
        );
      }
      return new Promise<T>((resolve, reject) => {
        let settled = false;
        let timer: NodeJS.Timeout;
        const giveUp = (extensions: number) => {
          if (settled) return;
          if (!silent() && extensions < MAX_EXTENSIONS) return arm(extensions + 1);
          settled = true;
          shutUntil = now() + timeoutMs;
          reject(
            new UnavailableError(
              'redis',
              new Error(`redis silent for ${timeoutMs} ms`),
              'redis did not answer in time; the outcome is unknown, retry with the same Idempotency-Key',
            ),
          );
        };
        const arm = (extensions: number) => {
          const expected = now() + timeoutMs;
          timer = setTimeout(() => {
            if (settled) return;
            // Fired late: this process was busy, so Redis has not had a fair deadline yet.
            if (now() - expected > timeoutMs / 2 && extensions < MAX_EXTENSIONS) return arm(extensions + 1);
            // Let pending socket reads run once before judging.
            setImmediate(giveUp, extensions);
          }, timeoutMs);
        };
        arm(0);
        call(client).then(
          (value) => {
            if (settled) return;
            settled = true;
            clearTimeout(timer);
            resolve(value);
          },
          (err: unknown) => {
            const scriptError = isScriptError(err);
            if (settled) return;
            settled = true;
            clearTimeout(timer);
            reject(scriptError ? err : new UnavailableError('redis', err));
          },
        );
      });
    },
  };
}
