import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const projectRoot = fileURLToPath(new URL('../../', import.meta.url));

/** A service process started from src/main.ts; its pid is the real node process (not a shell or npx). */
export interface ServiceProcess {
  name: string;
  pid: number;
  url?: string;
  child: ChildProcess;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves with the exit code (null when killed). */
  stop(graceMs?: number): Promise<number | null>;
  exited: Promise<number | null>;
}

export interface SpawnOptions {
  name: string;
  env: Record<string, string>;
  /** Port to serve on; omit for ROLE=worker. */
  port?: number;
  onLine?: (line: string, stream: 'stdout' | 'stderr') => void;
}

export function spawnService(opts: SpawnOptions): ServiceProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    cwd: projectRoot,
    env: { ...process.env, ...opts.env, ...(opts.port === undefined ? {} : { PORT: String(opts.port) }) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
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
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return {
    name: opts.name,
    pid: child.pid!,
    child,
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

/** Polls GET /readyz until it answers 200, the process exits, or the timeout passes. */
export async function waitReady(service: ServiceProcess, timeoutMs = 30_000): Promise<void> {
  if (!service.url) return;
  const until = Date.now() + timeoutMs;
  let exited = false;
  void service.exited.then(() => {
    exited = true;
  });
  for (;;) {
    if (exited) throw new Error(`${service.name} exited before it was ready`);
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
