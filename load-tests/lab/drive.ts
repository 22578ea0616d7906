import { type HttpRequest, type HttpResult, type OpenModelResult, runOpenModel } from '../lib/driver.ts';
import { type LabScenario, pressesOf } from './scenario.ts';

export interface Press {
  user: number;
  press: number;
  base: string;
}

export interface Driven {
  drive: OpenModelResult;
  /** Wall-clock ms at which the run started. */
  wallStart: number;
  /** Id of every placed order or claim -> wall-clock ms at which its request was due. */
  acked: Map<string, number>;
  /** Seconds from the start to the last placed answer, and to the last answer of any kind. */
  lastPlacedS: number;
  lastAnswerS: number;
}

/**
 * Drives one scenario as an open model (arrivals keep coming whether or not earlier ones were answered):
 * user i is due at i / rate; a duplicate user's two presses go out together to two different instances.
 */
export async function driveScenario(opts: {
  scenario: LabScenario;
  bases: string[];
  request: (p: Press) => HttpRequest;
  /** The id of what a 201 placed (an order id, a claim id). */
  placedId: (p: Press, res: HttpResult) => string;
}): Promise<Driven> {
  const { scenario: s, bases } = opts;
  const acked = new Map<string, number>();
  let lastPlacedMs = 0;
  let lastAnswerMs = 0;
  const t0 = performance.now();
  const wallStart = Date.now();
  const drive = await runOpenModel({
    arrivals: s.users,
    arrivalTime: (i) => i / s.rate,
    maxSeconds: s.users / s.rate + 30,
    timeoutMs: s.timeoutMs,
    // Enough that requests queue in the app (as many users, each on a connection, would), not in the client.
    connectionsPerBase: 64,
    arrive: async (user, send) => {
      await Promise.all(
        Array.from({ length: pressesOf(user, s) }, async (_, press) => {
          const p = { user, press, base: bases[(user + press) % bases.length]! };
          const res = await send(opts.request(p));
          const at = performance.now() - t0;
          lastAnswerMs = Math.max(lastAnswerMs, at);
          if (res.status === 201) {
            lastPlacedMs = Math.max(lastPlacedMs, at);
            acked.set(opts.placedId(p, res), Date.now() - res.latencyMs);
          }
        }),
      );
    },
  });
  return { drive, wallStart, acked, lastPlacedS: lastPlacedMs / 1000, lastAnswerS: lastAnswerMs / 1000 };
}
