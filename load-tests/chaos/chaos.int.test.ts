import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SHORT } from './plan.ts';
import { type RunResult, runChaos } from './run.ts';
import { SCENARIOS } from './scenarios.ts';

/**
 * The fault suite proves itself on two of its short-form runs, through the same code as `npm run chaos`:
 * a Redis host crash (everysec AOF) in `redis` mode, where loss is only measured, and a Redis restarted
 * empty in `postgres` mode, which must lose nothing it acknowledged.
 */
const logDir = join(tmpdir(), 'chaos-test-logs');
const noOversellNoDuplicate = (r: RunResult) => {
  expect(r.figures.rows).toBeLessThanOrEqual(SHORT.stock);
  expect(r.figures.duplicated).toBe(0);
  expect(r.figures.acknowledged).toBeGreaterThan(0);
  // The settling drained the campaign: nothing pending, and the reconciler says so.
  expect(r.settled.drained).toBe(true);
};

describe('npm run chaos, short form', () => {
  it('redis-host-crash-everysec in redis mode: no oversell, no duplicate; loss measured', async () => {
    const r = await runChaos({
      form: SHORT,
      scenario: SCENARIOS['redis-host-crash-everysec'],
      mode: 'redis',
      coverage: 'measured',
      logDir,
    });
    noOversellNoDuplicate(r);
    expect(r.figures.unavailable).toBeGreaterThan(0); // the crash was felt
    expect(r.pass, r.reasons.join('; ')).toBe(true);
  }, 120_000);

  it('redis-restart-empty in postgres mode: no oversell, no duplicate, nothing acknowledged lost', async () => {
    const r = await runChaos({
      form: SHORT,
      scenario: SCENARIOS['redis-restart-empty'],
      mode: 'postgres',
      coverage: 'covered',
      logDir,
    });
    noOversellNoDuplicate(r);
    expect(r.figures.lost).toBe(0);
    expect(r.pass, r.reasons.join('; ')).toBe(true);
  }, 120_000);
});
