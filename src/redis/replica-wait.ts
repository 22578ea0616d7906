import type { Redis } from 'ioredis';
import { UnavailableError } from '../shared/errors.ts';

/**
 * Waits until a replica holds every write this connection sent so far (WAIT; on Redis 7.2 and later with
 * AOF on, WAITAOF, so the replica has also written it to disk). Calls are coalesced: one WAIT covers every
 * claim whose reply arrived before it was sent, and claims arriving while one is in flight share the next.
 * WAIT must travel on the connection that made the writes, so this is bound to the request-path one.
 */
export interface ReplicaWait {
  confirm(): Promise<void>;
}

export type WaitCommand = { kind: 'wait' } | { kind: 'waitaof' };

/** WAITAOF exists from Redis 7.2; it needs appendonly on the primary (numlocal 1) to be meaningful. */
export function waitCommandFor(version: string, appendonly: boolean): WaitCommand {
  const [major = 0, minor = 0] = version.split('.').map(Number);
  return appendonly && (major > 7 || (major === 7 && minor >= 2)) ? { kind: 'waitaof' } : { kind: 'wait' };
}

export function createReplicaWait(
  client: Redis,
  opts: { replicas: number; timeoutMs: number; command?: () => WaitCommand },
): ReplicaWait {
  let waiting: { resolve: () => void; reject: (err: Error) => void }[] = [];
  let inFlight = false;

  const send = async (): Promise<number> => {
    if (opts.command?.().kind === 'waitaof') {
      const [, replicas] = (await client.call(
        'WAITAOF',
        '1',
        String(opts.replicas),
        String(opts.timeoutMs),
      )) as [number, number];
      return replicas;
    }
    return client.wait(opts.replicas, opts.timeoutMs);
  };

  const fire = () => {
    inFlight = true;
    const group = waiting;
    waiting = [];
    send()
      .then(
        (acked) => {
          if (acked >= opts.replicas) for (const w of group) w.resolve();
          else {
            const err = new UnavailableError(
              'redis',
              new Error(`${acked} of ${opts.replicas} replicas confirmed within ${opts.timeoutMs} ms`),
              'no replica confirmed the claim in time; the outcome is unknown, retry with the same Idempotency-Key',
            );
            for (const w of group) w.reject(err);
          }
        },
        (err: unknown) => {
          const failure = new UnavailableError('redis', err);
          for (const w of group) w.reject(failure);
        },
      )
      .finally(() => {
        inFlight = false;
        if (waiting.length > 0) fire();
      });
  };

  return {
    confirm() {
      return new Promise<void>((resolve, reject) => {
        waiting.push({ resolve, reject });
        if (!inFlight) fire();
      });
    },
  };
}
