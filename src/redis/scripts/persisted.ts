import type { Cluster, Redis, Result } from 'ioredis';
import type { Claim } from '../../domain/claim.ts';
import type { CampaignKeys } from '../keys.ts';
import { defineScript } from './source.ts';

export const markPersistedDef = defineScript('fsMarkPersisted', 'mark_persisted.lua', 5);

declare module 'ioredis' {
  interface RedisCommander<Context> {
    fsMarkPersisted(
      meta: string,
      claims: string,
      pending: string,
      refused: string,
      codes: string,
      maxSeq: number,
      committed: number,
      ...ids: string[]
    ): Result<0 | 1, Context>;
  }
}

/**
 * lua/mark_persisted.lua for one campaign: drops the records and pending entries of claims now in
 * Postgres, files the refused ones with their reason. Returns true when Redis turned out to be behind
 * Postgres (the campaign is then fenced until rebuilt).
 */
export async function markPersisted(
  r: Redis | Cluster,
  keys: CampaignKeys,
  committed: Claim[],
  refused: { id: string; reason: string }[] = [],
): Promise<boolean> {
  let maxSeq = 0;
  for (const c of committed) if (c.seq > maxSeq) maxSeq = c.seq;
  const reply = await r.fsMarkPersisted(
    keys.meta,
    keys.claims,
    keys.pending,
    keys.refused,
    keys.codes,
    maxSeq,
    committed.length,
    ...committed.flatMap((c) => [c.id, c.couponCode]),
    ...refused.flatMap((x) => [x.id, x.reason]),
  );
  return reply === 1;
}
