import type { Logger } from '../../shared/logger.ts';

/**
 * Which answers of the hot claim routes get an access log line (ACCESS_LOG_CLAIMS): `all`, `errors`
 * (5xx only: a refusal such as sold out is an expected outcome, counted by flashsale_claims_total), or a
 * fraction of the answers (5xx always included). Every other route logs every request.
 */
export type ClaimLogSampling = 'all' | 'errors' | number;

/** The routes a sale's traffic hits; the sampling applies to them alone. */
export const HOT_ROUTES = new Set(['/v1/campaigns/:id/claims', '/v1/bundles/:id/claims']);
/** Probes and scrapes: logged at debug, or they would drown the rest. */
const PROBE_ROUTES = new Set(['/healthz', '/readyz', '/metrics']);

export function sampler(sampling: ClaimLogSampling, random: () => number = Math.random) {
  if (sampling === 'all') return () => true;
  const rate = sampling === 'errors' ? 0 : sampling;
  return (status: number) => status >= 500 || (rate > 0 && random() < rate);
}

export interface AccessLine {
  method: string;
  route: string;
  path: string;
  status: number;
  durationMs: number;
  requestId: string;
  userId?: string | undefined;
}

type Level = 'debug' | 'info' | 'warn';

/**
 * One line per answered request (method, route pattern, path, status, duration, request id). The caller
 * asks `levelOf` first, so a request whose line is not written costs no line at all.
 */
export function createAccessLog(log: Logger, sampling: ClaimLogSampling) {
  const sampled = sampler(sampling);
  const access = log.child({ log: 'access' });
  const on = { debug: access.enabled('debug'), info: access.enabled('info'), warn: access.enabled('warn') };
  return {
    /** The level this answer's line is written at, or null when it is not written. */
    levelOf(route: string, status: number): Level | null {
      const level: Level = PROBE_ROUTES.has(route) ? 'debug' : status >= 500 ? 'warn' : 'info';
      if (!on[level]) return null;
      if (HOT_ROUTES.has(route) && !sampled(status)) return null;
      return level;
    },
    write(level: Level, line: AccessLine): void {
      access[level]('request', { ...line });
    },
  };
}

export type AccessLog = ReturnType<typeof createAccessLog>;
