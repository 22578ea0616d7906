import { spawn } from 'node:child_process';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { startFleet } from './lib/fleet.ts';
import { freePorts } from './lib/ports.ts';
import { projectRoot } from './lib/processes.ts';
import { scratch } from './lib/scratch.ts';
import { runStorm } from './lib/storm.ts';

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

const clusterNodes = inject('clusterNodes');
const resources = [scratch('fleettest'), scratch('fleetstop'), scratch('fleetcluster', { clusterNodes })];
afterAll(async () => {
  for (const r of resources) await r.cleanup();
});

describe.each([
  ['standalone', 0],
  ['cluster', 2],
] as const)('five API processes and a worker (%s)', (topology, index) => {
  it('a short storm: 4,000 users (30% pressing three times at once) for stock 1,000; every invariant holds', async () => {
    const res = resources[index];
    const env = {
      ...(topology === 'cluster' ? { REDIS_CLUSTER_NODES: clusterNodes } : {}),
      DATABASE_URL: res!.databaseUrl,
      REDIS_PREFIX: res!.prefix,
      RATE_LIMIT_ADDRESS_PER_SECOND: '0',
      ADMIN_TOKEN: 'fleet-admin-token',
      JWT_SECRET: 'fleet-jwt-secret',
      LOG_LEVEL: 'warn',
    };
    const fleet = await startFleet({ apis: 5, workers: 1, basePort: await freePorts(5), env });
    try {
      expect(fleet.urls).toHaveLength(5);
      const storm = await runStorm({
        bases: fleet.urls,
        adminToken: env.ADMIN_TOKEN,
        jwtSecret: env.JWT_SECRET,
        databaseUrl: env.DATABASE_URL,
        campaignId: 'fleet-storm',
        scenario: {
          stock: 1_000,
          perUserLimit: 1,
          peakRate: 1_000,
          rampSeconds: 1,
          holdSeconds: 3.5,
          users: 4_000,
          impatientShare: 0.3,
          impatientRetries: 2,
          impatientWithKeyShare: 0.5,
        },
      });
      expect(storm.failures).toEqual([]);
      expect(storm.created).toBe(1_000);
      expect(storm.drive.requests).toBeGreaterThan(5_000);
      // The answers really came from all five processes.
      expect(Object.keys(storm.drive.statuses).sort()).toEqual(['200', '201', '409', '410']);
    } finally {
      const exits = await fleet.stop();
      expect(exits.map((e) => e.code)).toEqual([0, 0, 0, 0, 0, 0]);
      for (const e of exits) expect(alive(e.pid)).toBe(false);
    }
  });
});

describe('npm run fleet', () => {
  it('stops every process it started on SIGTERM and exits 0', async () => {
    const [, res] = resources;
    const child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        'load-tests/fleet.ts',
        '--apis',
        '2',
        '--workers',
        '1',
        '--base-port',
        String(await freePorts(2)),
      ],
      {
        cwd: projectRoot,
        env: { ...process.env, DATABASE_URL: res!.databaseUrl, REDIS_PREFIX: res!.prefix, LOG_LEVEL: 'warn' },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
    });
    child.stderr.on('data', (d) => {
      out += d;
    });
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    const until = Date.now() + 45_000;
    while (!out.includes('BASE_URLS=')) {
      if (Date.now() > until) throw new Error(`fleet not ready:\n${out}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    const pids = [...out.matchAll(/pid (\d+)/g)].map((m) => Number(m[1]));
    expect(pids).toHaveLength(3);
    expect(pids.every(alive)).toBe(true);

    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(out).toMatch(/api-1 \(pid \d+\) exited with 0/);
    expect(pids.filter(alive)).toEqual([]);
  });
});
