import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { trackChild } from './children.ts';

export const projectRoot = fileURLToPath(new URL('../../', import.meta.url));

/** A service process started from src/main.ts (or another entry); its pid is the real node process (not a shell or npx). */
export interface ServiceProcess {
  name: string;
  pid: number;
  url?: string;
  child: ChildProcess;
  /** Resolves when the process reports (over IPC) that it has started; rejects if it exits first. */
  started: Promise<void>;
  exited: Promise<number | null>;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves with the exit code (null when killed by a signal). */
  stop(graceMs?: number): Promise<number | null>;
}

export interface SpawnOptions {
  name: string;
  env: Record<string, string>;
  /** Port to serve on; omitted (a worker, say): any free port. */
  port?: number;
  onLine?: (line: string, stream: 'stdout' | 'stderr') => void;
  /** Extra node flags, e.g. ['--cpu-prof', '--cpu-prof-dir=/tmp/prof'] to profile one process. */
  nodeArgs?: string[];
  /** Script to run, relative to the project root (default src/main.ts; the strategy lab runs its own). */
  entry?: string;
}

export function spawnService(opts: SpawnOptions): ServiceProcess {
  const child = spawn(
    process.execPath,
    [...(opts.nodeArgs ?? []), '--import', 'tsx', opts.entry ?? 'src/main.ts'],
    {
      cwd: projectRoot,
      // Every role listens (a worker serves /healthz, /readyz and /metrics): one without a port of its own
      // takes any free one (it reports it in its ready message), so it never collides with the API's.
      env: { ...process.env, ...opts.env, PORT: String(opts.port ?? opts.env.PORT ?? 0) },
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    },
  );
  for (const stream of ['stdout', 'stderr'] as const) {
    let buffered = '';
    child[stream]?.on('data', (chunk: Buffer) => {
      buffered += chunk.toString('utf8');
      let nl = buffered.indexOf('\n');
      while (nl >= 0) {
        opts.onLine?.(buffered.slice(0, nl), stream);
        buffered = buffered.slice(nl + 1);
        nl = buffered.indexOf('\n');
      }
    });
  }
  // Registered until it exits, so an entry point's stopOnExit() can stop it whatever happens.
  const untrack = trackChild({
    name: opts.name,
    pid: () => child.pid,
    exited: () => child.exitCode !== null || child.signalCode !== null,
  });
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => {
      untrack();
      resolve(code);
    }),
  );
  const started = new Promise<void>((resolve, reject) => {
    child.on('message', (m: { type?: string }) => {
      if (m?.type === 'ready') resolve();
    });
    void exited.then((code) => reject(new Error(`${opts.name} exited with ${code} before it started`)));
  });
  started.catch(() => {});
  return {
    name: opts.name,
    pid: child.pid!,
    child,
    started,
    exited,
    ...(opts.port === undefined ? {} : { url: `http://127.0.0.1:${opts.port}` }),
    async stop(graceMs = 15_000) {
      if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      const code = await exited;
      clearTimeout(timer);
      return code;
    },
  };
}

/** Waits for the process to start, then (for an API) until GET /readyz answers 200. */
export async function waitReady(service: ServiceProcess, timeoutMs = 60_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  const timeout = new Promise<never>((_, reject) =>
    setTimeout(
      () => reject(new Error(`${service.name} not ready within ${timeoutMs} ms`)),
      timeoutMs,
    ).unref(),
  );
  await Promise.race([service.started, timeout]);
  if (!service.url) return;
  for (;;) {
    try {
      const res = await fetch(`${service.url}/readyz`);
      if (res.ok) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > until) throw new Error(`${service.name} not ready within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
