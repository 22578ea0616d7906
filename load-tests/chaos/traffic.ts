import { signJwt } from '../../src/auth/jwt.ts';
import { type OpenModelResult, runOpenModel } from '../lib/driver.ts';

/** One answer a user got, at a wall-clock time (the verdict compares it with Postgres' timestamps). */
export interface Answer {
  at: number;
  status: number;
  claimId?: string;
  couponCode?: string;
  /** A 503's message: why the service was unavailable. */
  reason?: string;
}

export interface UserLog {
  user: string;
  answers: Answer[];
}

export interface TrafficOptions {
  campaignId: string;
  users: number;
  /** Users arriving per second. */
  rate: number;
  jwtSecret: string;
  /** API bases not known dead, asked at every attempt (clients skip dead instances). */
  liveBases: () => string[];
  allBases: string[];
  /** A line per second while the traffic runs. */
  onSecond?: (line: string) => void;
}

export interface Traffic {
  startedAt: number;
  endedAt: number;
  users: UserLog[];
  drive: OpenModelResult;
}

/** What the README tells clients: a 503, a 429, a connection error or a timeout is retried, same key. */
const RETRIES = 8;
const RETRY_ON = new Set([0, 429, 503]);
const REQUEST_TIMEOUT_MS = 5_000;
const retryDelay = () => 150 + Math.random() * 250;

const reasonOf = (body: string) => {
  try {
    return String((JSON.parse(body) as { error: { message: string } }).error.message);
  } catch {
    return body.slice(0, 80);
  }
};

export const acknowledged = (a: Answer) => (a.status === 200 || a.status === 201) && a.claimId !== undefined;

/**
 * The storm: `users` distinct users arrive at `rate` per second (open model), each presses once with
 * their own Idempotency-Key and retries up to 8 times, 150-400 ms apart, on another live instance each
 * time. Every answer is recorded per user.
 */
export async function runTraffic(opts: TrafficOptions): Promise<Traffic> {
  const exp = Math.floor(Date.now() / 1000) + 3_600;
  const tokens = Array.from({ length: opts.users }, (_, i) =>
    signJwt({ sub: `${opts.campaignId}-u${i}`, exp }, opts.jwtSecret),
  );
  const users: UserLog[] = [];
  const path = `/v1/campaigns/${opts.campaignId}/claims`;
  let acked = 0;
  let previous: Record<string, number> = {};
  const startedAt = Date.now();
  const drive = await runOpenModel({
    arrivals: opts.users,
    arrivalTime: (i) => i / opts.rate,
    maxSeconds: opts.users / opts.rate + 60,
    connectionsPerBase: 64,
    onProgress: (p) => {
      const mix = Object.entries(p.statuses)
        .map(([s, n]) => [s, n - (previous[s] ?? 0)] as const)
        .filter(([, n]) => n > 0)
        .map(([s, n]) => `${s === '0' ? 'err' : s}:${n}`)
        .join(' ');
      previous = p.statuses;
      opts.onSecond?.(
        `  t=${p.elapsedS.toFixed(0).padStart(3)}s  ${String(p.lastSecond.count).padStart(5)} answers/s  ` +
          `arrived ${String(p.scheduled).padStart(5)}/${opts.users}  in flight ${String(p.inFlight).padStart(4)}  ` +
          `acked ${String(acked).padStart(5)}  | ${mix || 'none'}`,
      );
    },
    arrive: async (i, send) => {
      const log: UserLog = { user: `${opts.campaignId}-u${i}`, answers: [] };
      users[i] = log;
      const headers = { authorization: `Bearer ${tokens[i]}`, 'idempotency-key': `chaos-${i}` };
      for (let attempt = 0; attempt <= RETRIES; attempt++) {
        const live = opts.liveBases();
        // With every instance gone a client still tries one (and gets a connection error).
        const bases = live.length > 0 ? live : opts.allBases;
        const res = await send({
          base: bases[(i + attempt) % bases.length]!,
          method: 'POST',
          path,
          headers,
          timeoutMs: REQUEST_TIMEOUT_MS,
        });
        const answer: Answer = { at: Date.now(), status: res.status };
        if (res.status === 200 || res.status === 201) {
          try {
            const claim = JSON.parse(res.body).claim as { id: string; couponCode: string };
            answer.claimId = claim.id;
            answer.couponCode = claim.couponCode;
          } catch {
            // Recorded without a claim id: not counted as acknowledged.
          }
        }
        if (res.status === 503) answer.reason = reasonOf(res.body);
        log.answers.push(answer);
        if (acknowledged(answer)) acked++;
        if (!RETRY_ON.has(res.status)) return;
        if (attempt < RETRIES) await new Promise((r) => setTimeout(r, retryDelay()));
      }
    },
  });
  return { startedAt, endedAt: Date.now(), users: users.filter(Boolean), drive };
}
