import { Redis, type RedisOptions } from 'ioredis';
import { UnavailableError } from '../shared/errors.ts';
import type { Logger } from '../shared/logger.ts';
import { clusterSeeds, createBackgroundRedis, createCommandRedis } from './connections.ts';
import { createRedisGate, type RedisGate } from './gate.ts';
import { type ServerRun, trackServerRun } from './server-run.ts';
import { hashSlot } from './slot.ts';
import { parseClusterSlots, type SlotMap } from './topology.ts';

/** One Redis master as the service talks to it. */
export interface RedisNode {
  readonly address: string;
  /** The request path: fails fast, bounded by the gate. */
  readonly gate: RedisGate;
  readonly commandRun: ServerRun;
  /** Background work (the worker's marks, the reconciler, rebuilds): waits for the server. */
  readonly background: Redis;
  readonly backgroundRun: ServerRun;
}

/**
 * The masters the service talks to and which of them serves a key. Standalone Redis is one master for
 * every slot. On a cluster, the slot map comes from CLUSTER SLOTS and each master has connections of its
 * own: a script is sent on the connection of the master that serves its keys, with that connection's
 * server run id (the fence), and is never redirected behind the caller's back. A MOVED or ASK answer
 * (the script did not run) refreshes the map and the call is sent once more, to the right master; the
 * map is also refreshed every 2 s, so a failover is noticed even without traffic.
 */
export interface RedisRouter {
  readonly mode: 'standalone' | 'cluster';
  nodeFor(key: string): RedisNode;
  masters(): RedisNode[];
  /** A request-path call on the master serving `key`. */
  run<T>(key: string, call: (redis: Redis, runId: string) => Promise<T>): Promise<T>;
  /** Any master's background connection found a new server run (a restart, a failover). */
  onServerRunChange(listener: (node: RedisNode, runId: string, previous: string | null) => void): void;
  /** Resolves once a cluster's slot map is first known (at once for one server): nodeFor works then. */
  ready(): Promise<void>;
  close(): Promise<void>;
}

interface RouterOptions {
  commandTimeoutMs: number;
  log: Logger;
}

/**
 * On a cluster a master can go for good (its replica took over), so a command on its background
 * connection gives up after some reconnection attempts (a few seconds) instead of waiting forever; its
 * caller (a job, the next pass) sends it again, to the master that serves the slot now.
 */
const CLUSTER_BACKGROUND = { maxRetriesPerRequest: 8 };

type Listener = (node: RedisNode, runId: string, previous: string | null) => void;

function createNode(
  address: string,
  url: string,
  opts: RouterOptions,
  listeners: Listener[],
  backgroundOptions: RedisOptions = {},
): RedisNode {
  const command = createCommandRedis(url, opts.log);
  const commandRun = trackServerRun(command);
  const background = createBackgroundRedis(url, opts.log, 'background', backgroundOptions);
  const backgroundRun = trackServerRun(background);
  const node: RedisNode = {
    address,
    gate: createRedisGate(command, opts.commandTimeoutMs, { serverRun: commandRun }),
    commandRun,
    background,
    backgroundRun,
  };
  backgroundRun.onChange((runId, previous) => {
    for (const l of listeners) l(node, runId, previous);
  });
  return node;
}

async function closeNode(node: RedisNode): Promise<void> {
  node.gate.client.disconnect();
  await node.background.quit().catch(() => node.background.disconnect());
}

export function createStandaloneRouter(url: string, opts: RouterOptions): RedisRouter {
  const listeners: Listener[] = [];
  const { host, port } = new URL(url);
  const node = createNode(`${host}:${port || 6379}`, url, opts, listeners);
  return {
    mode: 'standalone',
    nodeFor: () => node,
    masters: () => [node],
    run: (_key, call) => node.gate.run(call),
    onServerRunChange: (l) => void listeners.push(l),
    ready: async () => {},
    close: () => closeNode(node),
  };
}

const REDIRECTED = /^(MOVED|ASK) /;
const redirected = (err: unknown) =>
  err instanceof UnavailableError && err.cause instanceof Error && REDIRECTED.test(err.cause.message);

export function createClusterRouter(seedList: string, opts: RouterOptions): RedisRouter {
  const listeners: Listener[] = [];
  const nodes = new Map<string, RedisNode>();
  const retired: RedisNode[] = [];
  const seeds = clusterSeeds(seedList).map((s) => `${s.host}:${s.port}`);
  let map: SlotMap | null = null;
  let refreshing: Promise<void> | null = null;

  const node = (address: string) => {
    let n = nodes.get(address);
    if (!n) {
      n = createNode(address, `redis://${address}`, opts, listeners, CLUSTER_BACKGROUND);
      nodes.set(address, n);
    }
    return n;
  };
  /** CLUSTER SLOTS from the first node that answers (known masters first, then the seeds). */
  const load = async () => {
    const candidates = [...new Set([...(map?.masters ?? []), ...seeds])];
    for (const address of candidates) {
      const probe = new Redis(`redis://${address}`, {
        lazyConnect: true,
        maxRetriesPerRequest: 0,
        retryStrategy: () => null,
        connectTimeout: 1_000,
      });
      probe.on('error', () => {});
      try {
        await probe.connect();
        map = parseClusterSlots(await probe.call('CLUSTER', 'SLOTS'));
        for (const m of map.masters) node(m);
        retireFormerMasters(map);
        return;
      } catch {
        // this node is down or not serving a full map: try the next
      } finally {
        probe.disconnect();
      }
    }
    throw new UnavailableError('redis', new Error('no cluster node answered CLUSTER SLOTS'));
  };
  /**
   * A node that no longer serves any slot (a dead master whose replica took over) gets no more commands.
   * Those already waiting on its background connection give up once its reconnection attempts run out
   * (CLUSTER_BACKGROUND) and are sent again, to the new master, by whoever retries them (a job, the next
   * pass); the connections are closed for good a while later. (Closing them now would stop the attempts,
   * and with them the count that fails the waiting commands.)
   */
  const retireFormerMasters = (current: SlotMap) => {
    const serving = new Set(current.masters);
    for (const [address, n] of nodes) {
      if (serving.has(address)) continue;
      nodes.delete(address);
      opts.log.warn('a redis node no longer serves any slot; it gets no more commands', { node: address });
      const later = setTimeout(() => {
        n.gate.client.disconnect();
        n.background.disconnect();
      }, 60_000);
      later.unref();
      retired.push(n);
    }
  };
  const refresh = () => {
    refreshing ??= load()
      .catch((err: unknown) => opts.log.warn('cluster slot map not refreshed', { err }))
      .finally(() => {
        refreshing = null;
      });
    return refreshing;
  };
  const ready = refresh();
  const timer = setInterval(() => void refresh(), 2_000);
  timer.unref();

  const nodeFor = (key: string) => {
    if (!map) throw new UnavailableError('redis', new Error('the cluster slot map is not known yet'));
    return node(map.owners[hashSlot(key)]!);
  };
  return {
    mode: 'cluster',
    nodeFor,
    masters: () => (map ? map.masters.map(node) : []),
    async run(key, call) {
      if (!map) await ready;
      const first = nodeFor(key);
      try {
        return await first.gate.run(call);
      } catch (err) {
        if (!(err instanceof UnavailableError)) throw err;
        // The map may be stale (a failover). The caller waits for the new one only after a redirect,
        // which means the command did not run and can be sent where the slot now lives.
        const refreshed = refresh();
        if (!redirected(err)) throw err;
        await refreshed;
        const again = nodeFor(key);
        if (again !== first) return again.gate.run(call);
        throw err;
      }
    },
    onServerRunChange: (l) => void listeners.push(l),
    ready: () => ready,
    async close() {
      clearInterval(timer);
      for (const n of retired) {
        n.gate.client.disconnect();
        n.background.disconnect();
      }
      await Promise.all([...nodes.values()].map(closeNode));
    },
  };
}
