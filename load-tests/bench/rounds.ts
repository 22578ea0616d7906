import { type ClosedLoopResult, runClosedLoop } from '../lib/driver.ts';
import type { TokenSupply } from '../lib/tokens.ts';

export interface RoundFigures {
  /** 201s per second of the round. */
  rate: number;
  p50: number;
  p99: number;
  statuses: Record<string, number>;
  /** Answers other than 201 (the stock never runs out in these rounds). */
  unexpected: number;
}

/**
 * One closed-loop round of claims by new users (a token each, signed ahead of the round) on one
 * campaign, `connections` per instance for `seconds`.
 */
export async function claimRound(opts: {
  bases: string[];
  campaignId: string;
  tokens: TokenSupply;
  seconds: number;
  connections: number;
}): Promise<RoundFigures & { loop: ClosedLoopResult }> {
  // More than this machine serves (a round that takes more signs further chunks between requests).
  opts.tokens.reserve(12_000 * opts.seconds);
  const path = `/v1/campaigns/${opts.campaignId}/claims`;
  const loop = await runClosedLoop({
    bases: opts.bases,
    connectionsPerBase: opts.connections,
    seconds: opts.seconds,
    request: (_, base) => ({
      base,
      method: 'POST',
      path,
      headers: { authorization: `Bearer ${opts.tokens.next()}` },
    }),
  });
  const created = loop.statuses['201'] ?? 0;
  return {
    rate: created / loop.durationS,
    p50: loop.latency.p50,
    p99: loop.latency.p99,
    statuses: loop.statuses,
    unexpected: loop.requests - created,
    loop,
  };
}

export const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length === 0 ? Number.NaN : s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

export const round2 = (x: number) => Math.round(x * 100) / 100;

/** Rounds run in a rotating order (a, b, c; b, c, a; ...), so a drift of the machine hits every entry alike. */
export function rotation<T>(items: T[], round: number): T[] {
  const k = round % items.length;
  return [...items.slice(k), ...items.slice(0, k)];
}
