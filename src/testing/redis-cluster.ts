import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/**
 * A private Redis Cluster on loopback (3 masters, or 3 masters with a replica each), for the cluster
 * suite and the failover test. Every node has its own directory and port (its bus port is 10,000 above),
 * and is stopped by pid.
 */
export interface PrivateCluster {
  /** `host:port` of every node, masters first: REDIS_CLUSTER_NODES. */
  nodes: string[];
  seeds: string;
  pidOf(node: string): number | undefined;
  /** kill -9 one node (a master dies). */
  kill(node: string): Promise<void>;
  /** SIGSTOP / SIGCONT every node: a cluster that accepts bytes but never answers. */
  freeze(): void;
  thaw(): void;
  stop(): Promise<void>;
}

const free = (port: number) =>
  new Promise<boolean>((resolve) => {
    const srv = createServer();
    srv.once('error', () => resolve(false));
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
  });

/** `count` ports from one base, each free along with its cluster bus port. */
async function clusterPorts(count: number): Promise<number[]> {
  for (;;) {
    const base = 21_000 + Math.floor(Math.random() * 18_000);
    const ports = Array.from({ length: count }, (_, i) => base + i);
    let ok = true;
    for (const p of ports) ok = ok && (await free(p)) && (await free(p + 10_000));
    if (ok) return ports;
  }
}

async function cli(port: number, ...args: string[]): Promise<string> {
  const { stdout } = await run('redis-cli', ['-h', '127.0.0.1', '-p', String(port), ...args]);
  return stdout;
}

async function until(check: () => Promise<boolean>, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check().catch(() => false))) {
    if (Date.now() > deadline) throw new Error(`${what} within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

export async function startPrivateCluster(
  opts: { replicas?: 0 | 1; nodeTimeoutMs?: number } = {},
): Promise<PrivateCluster> {
  const replicas = opts.replicas ?? 0;
  const ports = await clusterPorts(replicas ? 6 : 3);
  const dir = mkdtempSync(join(tmpdir(), 'fs-cluster-'));
  const children = new Map<string, ChildProcess>();
  for (const port of ports) {
    const child = spawn(
      'redis-server',
      [
        '--port',
        String(port),
        '--bind',
        '127.0.0.1',
        '--cluster-enabled',
        'yes',
        '--cluster-config-file',
        join(dir, `nodes-${port}.conf`),
        '--cluster-node-timeout',
        String(opts.nodeTimeoutMs ?? 2_000),
        // While one master is down, the others keep serving their slots (the default refuses everything).
        '--cluster-require-full-coverage',
        'no',
        '--save',
        '',
        '--appendonly',
        'no',
        '--dir',
        dir,
        '--dbfilename',
        `dump-${port}.rdb`,
      ],
      { stdio: 'ignore' },
    );
    children.set(`127.0.0.1:${port}`, child);
  }
  const nodes = [...children.keys()];
  const stop = async () => {
    await Promise.all(
      [...children.values()].map(
        (c) =>
          new Promise<void>((resolve) => {
            if (c.exitCode !== null || c.signalCode !== null) return resolve();
            c.once('exit', () => resolve());
            c.kill('SIGCONT');
            c.kill('SIGKILL');
          }),
      ),
    );
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    for (const port of ports)
      await until(async () => (await cli(port, 'ping')).trim() === 'PONG', 5_000, `node ${port} up`);
    await run('redis-cli', [
      '--cluster',
      'create',
      ...nodes,
      '--cluster-replicas',
      String(replicas),
      '--cluster-yes',
    ]);
    for (const port of ports) {
      await until(
        async () => /cluster_state:ok/.test(await cli(port, 'cluster', 'info')),
        20_000,
        `cluster ok on ${port}`,
      );
    }
    // Replicas must have their master's data: one that never synced cannot take over.
    if (replicas) {
      await until(
        async () => {
          const roles = await Promise.all(ports.map((p) => cli(p, 'info', 'replication')));
          const synced = roles.filter((r) => /role:slave/.test(r) && /master_link_status:up/.test(r));
          return synced.length === ports.length / 2;
        },
        20_000,
        'replicas in sync',
      );
    }
    // Every node must agree on the whole map before tests route by it.
    await until(
      async () =>
        (await Promise.all(ports.map((p) => cli(p, 'cluster', 'slots')))).every((s) => s.trim().length > 0),
      10_000,
      'slots known everywhere',
    );
  } catch (err) {
    await stop();
    throw err;
  }
  return {
    nodes,
    seeds: nodes.join(','),
    pidOf: (node) => children.get(node)?.pid,
    async kill(node) {
      const c = children.get(node);
      if (!c || c.exitCode !== null || c.signalCode !== null) return;
      await new Promise<void>((resolve) => {
        c.once('exit', () => resolve());
        c.kill('SIGKILL');
      });
    },
    freeze: () => {
      for (const c of children.values()) c.kill('SIGSTOP');
    },
    thaw: () => {
      for (const c of children.values()) c.kill('SIGCONT');
    },
    stop,
  };
}
