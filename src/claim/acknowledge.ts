import type { Claim } from '../domain/claim.ts';
import type { PersistProducer } from '../queue/persist.queue.ts';
import type { ReplicaWait } from '../redis/replica-wait.ts';
import { createBatcher } from '../shared/batcher.ts';
import { UnavailableError } from '../shared/errors.ts';

export type AckDurability = 'redis' | 'replica' | 'postgres';

/**
 * What must be true before an accepted claim is answered 201 (or a pending one replayed 200), chosen by
 * the operator with ACK_DURABILITY:
 * - `redis`: the script ran (the pending record is in Redis); the claim goes to the queue afterwards.
 * - `replica`: also a replica holds the write (WAIT), so a failover to it loses nothing acknowledged.
 * - `postgres`: the claim's row is committed. Claims are written in batches (the answer waits for the
 *   batch that carries it, not for a row of its own); the worker then has nothing left to do for them.
 * When the wait fails or times out the outcome is unknown: UnavailableError (503), and the same
 * Idempotency-Key tells the truth later. The claim is queued in every case, so it still reaches Postgres.
 */
export interface Acknowledger {
  readonly mode: AckDurability;
  acknowledge(claim: Claim): Promise<void>;
  /** Waits for batches in flight (shutdown). */
  drain(): Promise<void>;
}

export interface AcknowledgerDeps {
  mode: AckDurability;
  producer: Pick<PersistProducer, 'submit'>;
  /** The replica wait of the master a claim's campaign lives on. */
  replicaWaitFor?: (claim: Claim) => ReplicaWait;
  /** Writes claims to Postgres and tells Redis (the worker's persistClaims); returns the refused ids. */
  persist?: (claims: Claim[]) => Promise<{ id: string }[]>;
  timeoutMs: number;
  batchMax?: number;
}

const withTimeout = <T>(work: Promise<T>, ms: number, what: string): Promise<T> =>
  new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${what} took longer than ${ms} ms`)), ms);
    work.then(resolve, reject).finally(() => clearTimeout(timer));
  });

export function createAcknowledger(deps: AcknowledgerDeps): Acknowledger {
  const { producer } = deps;
  if (deps.mode === 'redis') {
    return { mode: 'redis', acknowledge: async (claim) => producer.submit(claim), drain: async () => {} };
  }
  if (deps.mode === 'replica') {
    const waitFor = deps.replicaWaitFor;
    if (!waitFor) throw new Error('ACK_DURABILITY=replica needs a replica wait');
    return {
      mode: 'replica',
      acknowledge: (claim) => {
        producer.submit(claim);
        return waitFor(claim).confirm();
      },
      drain: async () => {},
    };
  }
  const persist = deps.persist;
  if (!persist) throw new Error('ACK_DURABILITY=postgres needs a persister');
  // Claims of a flush that Postgres refused (their batch committed, they did not).
  const refused = new Set<string>();
  // A short window: the batch is what makes postgres mode affordable, the window is what it costs.
  const batcher = createBatcher<Claim>({
    maxItems: deps.batchMax ?? 500,
    maxWaitMs: 2,
    flush: async (claims) => {
      for (const r of await persist(claims)) refused.add(r.id);
    },
  });
  return {
    mode: 'postgres',
    async acknowledge(claim) {
      try {
        await withTimeout(batcher.add([claim]), deps.timeoutMs, 'the commit');
        if (refused.delete(claim.id)) throw new Error('postgres refused to store the claim');
      } catch (err) {
        // Not known to be stored: the queue makes sure it is, and the client learns it by replaying.
        producer.submit(claim);
        throw new UnavailableError(
          'postgres',
          err,
          'the claim was not confirmed in Postgres in time; the outcome is unknown, retry with the same Idempotency-Key',
        );
      }
    },
    drain: () => batcher.drain(),
  };
}
