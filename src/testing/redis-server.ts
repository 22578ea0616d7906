import { type ChildProcess, spawn } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => (typeof addr === 'object' && addr ? resolve(addr.port) : reject(new Error('no port'))));
    });
  });
}

/**
 * A private redis-server on its own port, for tests that kill, freeze or flush Redis without touching
 * the shared one. Stopped by pid, never by name.
 */
export interface PrivateRedis {
  url: string;
  port: number;
  pid: number;
  /** SIGKILL and wait for exit: an abrupt crash. */
  kill(): Promise<void>;
  /** SIGSTOP / SIGCONT: a Redis that accepts bytes but never answers. */
  freeze(): void;
  thaw(): void;
  /** Start again on the same port, from what its directory holds (nothing, unless AOF or RDB is on). */
  restart(): Promise<void>;
  /**
   * Copies its data directory aside, and later puts that copy back: with `appendfsync everysec`, taking
   * the copy a second before a kill -9 and restoring it before the restart is what a host crash does (the
   * last second of writes never reached the disk).
   */
  copyData(): string;
  restoreData(copy: string): void;
  stop(): Promise<void>;
}

export async function startPrivateRedis(extraArgs: string[] = []): Promise<PrivateRedis> {
  const port = await freePort();
  // Its own working directory, so an AOF or RDB file it may write goes away with it.
  const dir = mkdtempSync(join(tmpdir(), 'fs-redis-'));
  let child: ChildProcess;
  const launch = async () => {
    child = spawn(
      'redis-server',
      [
        '--port',
        String(port),
        '--bind',
        '127.0.0.1',
        '--save',
        '',
        '--appendonly',
        'no',
        '--dir',
        dir,
        ...extraArgs,
      ],
      { stdio: 'ignore' },
    );
    await waitForPing(port);
  };
  const exited = (c: ChildProcess) =>
    c.exitCode !== null || c.signalCode !== null
      ? Promise.resolve()
      : new Promise<void>((resolve) => c.once('exit', () => resolve()));
  const kill = async () => {
    const c = child;
    if (c.exitCode === null && c.signalCode === null) {
      c.kill('SIGCONT');
      c.kill('SIGKILL');
    }
    await exited(c);
  };
  await launch();
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    get pid() {
      return child.pid!;
    },
    kill,
    freeze: () => void child.kill('SIGSTOP'),
    thaw: () => void child.kill('SIGCONT'),
    async restart() {
      await kill();
      await launch();
    },
    copyData() {
      const copy = mkdtempSync(join(tmpdir(), 'fs-redis-copy-'));
      cpSync(dir, copy, { recursive: true });
      return copy;
    },
    restoreData(copy) {
      rmSync(dir, { recursive: true, force: true });
      cpSync(copy, dir, { recursive: true });
      rmSync(copy, { recursive: true, force: true });
    },
    async stop() {
      await kill();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function waitForPing(port: number): Promise<void> {
  const until = Date.now() + 5_000;
  for (;;) {
    const r = new Redis({
      port,
      host: '127.0.0.1',
      lazyConnect: true,
      maxRetriesPerRequest: 0,
      retryStrategy: () => null,
    });
    r.on('error', () => {}); // refused while the server starts; connect() reports it
    try {
      await r.connect();
      await r.ping();
      return;
    } catch (err) {
      if (Date.now() > until) throw err;
      await new Promise((res) => setTimeout(res, 25));
    } finally {
      r.disconnect();
    }
  }
}
