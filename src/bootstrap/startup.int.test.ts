import { type ChildProcess, spawn } from 'node:child_process';
import { createServer, type Server } from 'node:net';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestEnv, type TestEnv } from '../testing/harness.ts';
import { freePort, type PrivateRedis, startPrivateRedis } from '../testing/redis-server.ts';

/**
 * The process as a person starts it (node src/main.ts): Redis not there yet, Postgres not there, the
 * port taken. Each started process is stopped by its own pid.
 */
const root = fileURLToPath(new URL('../../', import.meta.url));
let env: TestEnv;
const children: ChildProcess[] = [];
const servers: PrivateRedis[] = [];

beforeAll(async () => {
  env = await createTestEnv('startup');
});
afterAll(async () => {
  for (const child of children)
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  for (const s of servers) await s.stop();
  await env.cleanup();
});

interface Started {
  child: ChildProcess;
  lines: string[];
  ready: Promise<{ port: number }>;
  exited: Promise<number | null>;
}

function start(vars: Record<string, string>): Started {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    cwd: root,
    env: {
      ...process.env,
      NODE_ENV: 'test',
      REDIS_URL: env.config.REDIS_URL,
      REDIS_PREFIX: env.config.REDIS_PREFIX,
      DATABASE_URL: env.databaseUrl,
      LOG_LEVEL: 'info',
      RECONCILE_EVERY_MS: '3600000',
      ...vars,
    },
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  });
  children.push(child);
  const lines: string[] = [];
  for (const stream of [child.stdout, child.stderr]) {
    let rest = '';
    stream?.on('data', (chunk: Buffer) => {
      const parts = (rest + chunk.toString('utf8')).split('\n');
      rest = parts.pop() ?? '';
      lines.push(...parts.filter(Boolean));
    });
  }
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const ready = new Promise<{ port: number }>((resolve, reject) => {
    child.on('message', (m: { type?: string; port?: number }) => {
      if (m?.type === 'ready') resolve({ port: m.port ?? 0 });
    });
    void exited.then((code) => reject(new Error(`exited with ${code}: ${lines.join('\n')}`)));
  });
  ready.catch(() => {});
  return { child, lines, ready, exited };
}

async function until(check: () => boolean, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`${what} within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function stop(s: Started): Promise<number | null> {
  s.child.kill('SIGTERM');
  return s.exited;
}

const levelOf = (line: string) => {
  try {
    return (JSON.parse(line) as { level?: string }).level;
  } catch {
    return 'text';
  }
};
const STACK_LINE = /^\s+at /;

describe('starting the service', () => {
  it('waits for Redis with one clear line, then listens once it comes (worker role)', async () => {
    const redis = await startPrivateRedis();
    servers.push(redis);
    await redis.kill();
    const port = await freePort();
    const s = start({ ROLE: 'worker', PORT: String(port), REDIS_URL: redis.url });
    await until(
      () => s.lines.some((l) => l.includes(`waiting for Redis at ${redis.url}`)),
      30_000,
      'no waiting line',
    );
    // A few seconds of waiting: still one line, no flood, and nothing listens yet.
    await new Promise((r) => setTimeout(r, 2_500));
    expect(s.lines.filter((l) => levelOf(l) !== 'info')).toHaveLength(1);
    expect(s.lines.join('\n')).not.toMatch(STACK_LINE);
    await expect(fetch(`http://127.0.0.1:${port}/healthz`)).rejects.toThrow();

    await redis.restart();
    expect((await s.ready).port).toBe(port);
    expect(s.lines.some((l) => l.includes('redis is reachable; starting'))).toBe(true);
    const ready = await fetch(`http://127.0.0.1:${port}/readyz`);
    expect(ready.status).toBe(200);
    const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    expect(metrics).toContain('flashsale_queue_jobs{state="waiting"}');
    expect(metrics).toContain('flashsale_persist_lag_seconds_count');
    expect(await stop(s)).toBe(0);
  });

  it('ends with one message and exit code 3 when Postgres cannot be reached', async () => {
    const dead = await freePort();
    const s = start({ PORT: '0', DATABASE_URL: `postgres://postgres:secret@127.0.0.1:${dead}/flashsale` });
    expect(await s.exited).toBe(3);
    const text = s.lines.join('\n');
    expect(text).toContain(
      `failed to start: cannot reach Postgres at postgres://postgres:***@127.0.0.1:${dead}/flashsale`,
    );
    expect(text).not.toContain('secret');
    expect(text).not.toMatch(STACK_LINE);
    expect(s.lines).toHaveLength(1);
  });

  it('ends with one message and exit code 4 when the port is taken', async () => {
    const taken: Server = createServer();
    const port = await new Promise<number>((resolve) =>
      taken.listen(0, '0.0.0.0', () => resolve((taken.address() as { port: number }).port)),
    );
    try {
      const s = start({ PORT: String(port) });
      expect(await s.exited).toBe(4);
      const text = s.lines.join('\n');
      expect(text).toContain(`failed to start: port ${port} is already in use`);
      expect(text).not.toMatch(STACK_LINE);
    } finally {
      await new Promise((r) => taken.close(r));
    }
  });
});
