import type { LiveCampaign } from '../../domain/campaign.ts';

/**
 * A campaign's meta hash in Redis: its definition, its counters (remaining, claimed, seq), its status
 * ('ready' or 'rebuilding') and the server run it was verified on. This module is the only TypeScript
 * reader of the hash.
 */
export const META_FIELDS = [
  'name',
  'totalStock',
  'remaining',
  'claimed',
  'perUserLimit',
  'startsAt',
  'endsAt',
  'paused',
  'version',
  'status',
  'run',
  'seq',
  'buckets',
] as const;

/** Parses the HMGET reply for META_FIELDS; null when the campaign is not in Redis. */
export function decodeMeta(id: string, values: (string | null)[]): LiveCampaign | null {
  const [
    name,
    totalStock,
    remaining,
    claimed,
    perUserLimit,
    startsAt,
    endsAt,
    paused,
    version,
    status,
    run,
    seq,
    buckets,
  ] = values;
  if (totalStock == null) return null;
  return {
    id,
    name: name ?? '',
    totalStock: Number(totalStock),
    remaining: Number(remaining),
    claimed: Number(claimed),
    perUserLimit: Number(perUserLimit),
    startsAt: Number(startsAt),
    endsAt: Number(endsAt),
    paused: paused === '1',
    version: Number(version),
    rebuilding: status === 'rebuilding',
    run: run ?? '',
    seq: Number(seq ?? 0),
    buckets: Number(buckets ?? 1),
  };
}
