import { type ServiceProcess, spawnService, waitReady } from './processes.ts';

export interface FleetOptions {
  apis: number;
  workers: number;
  basePort: number;
  /** Environment shared by every process (REDIS_URL, DATABASE_URL, secrets, REDIS_PREFIX...). */
  env: Record<string, string>;
  /** Every log line of every process, with the process' name. */
  onLine?: (name: string, line: string) => void;
  /** Called when a process exits on its own while the fleet is running. */
  onUnexpectedExit?: (name: string, code: number | null) => void;
  /** Aborting while the fleet starts stops what has started and rejects. */
  signal?: AbortSignal;
}

export interface Fleet {
  urls: string[];
  processes: ServiceProcess[];
  /** SIGTERM to every process, SIGKILL after the grace period; resolves when all have exited. */
  stop(graceMs?: number): Promise<{ name: string; pid: number; code: number | null }[]>;
}

/**
 * N API instances (ROLE=api) on consecutive ports from basePort and M workers (ROLE=worker), as
 * separate processes. Resolves once every process has started and every API answers /readyz.
 */
export async function startFleet(opts: FleetOptions): Promise<Fleet> {
  let stopping = false;
  const processes: ServiceProcess[] = [];
  const onLine = opts.onLine ?? (() => {});
  const spawnOne = (name: string, role: 'api' | 'worker', port?: number) => {
    const p = spawnService({
      name,
      ...(port === undefined ? {} : { port }),
      env: { ...opts.env, ROLE: role },
      onLine: (line) => onLine(name, line),
    });
    processes.push(p);
    void p.exited.then((code) => {
      if (!stopping) opts.onUnexpectedExit?.(name, code);
    });
  };
  for (let i = 0; i < opts.apis; i++) spawnOne(`api-${i + 1}`, 'api', opts.basePort + i);
  for (let i = 0; i < opts.workers; i++) spawnOne(`worker-${i + 1}`, 'worker');

  const stop = async (graceMs?: number) => {
    stopping = true;
    return Promise.all(
      processes.map(async (p) => ({ name: p.name, pid: p.pid, code: await p.stop(graceMs) })),
    );
  };

  try {
    const aborted = new Promise<never>((_, reject) => {
      if (opts.signal?.aborted) reject(new Error('aborted'));
      opts.signal?.addEventListener('abort', () => reject(new Error('aborted while starting')), {
        once: true,
      });
    });
    await Promise.race([Promise.all(processes.map((p) => waitReady(p))), aborted]);
  } catch (err) {
    await stop(5_000);
    throw err;
  }
  return { urls: processes.flatMap((p) => (p.url ? [p.url] : [])), processes, stop };
}
