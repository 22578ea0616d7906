/**
 * Every child process the load tools start (API instances, workers, lab processes, private Redis
 * servers), so that an entry point can stop them all however it exits: a thrown error inside a library
 * callback skips every `finally`, and a tool that dies leaves its fleet running otherwise.
 *
 * Registering is free of side effects; only `stopOnExit()`, called once by an entry point, installs
 * process handlers (the tests start fleets too and keep their own lifecycle).
 */

/** A started child; `pid` is read when it is signalled (a restarted Redis gets a new one). */
export interface Child {
  name: string;
  pid(): number | undefined;
  exited(): boolean;
}

const children = new Set<Child>();
/** Once a stop has begun, a child registered later (a spawn racing the crash) is stopped at once. */
let closing = false;

/** Registers a child until the returned function is called (call it when the child has exited). */
export function trackChild(child: Child): () => void {
  children.add(child);
  if (closing) signal(child, 'SIGTERM');
  return () => {
    children.delete(child);
  };
}

/**
 * Registers a process known only by its pid (one started by code that keeps its ChildProcess to itself);
 * it counts as exited once the pid is gone. Call the returned function once it has been stopped.
 */
export function trackPid(name: string, pid: () => number | undefined): () => void {
  return trackChild({
    name,
    pid,
    exited: () => {
      const p = pid();
      if (p === undefined) return true;
      try {
        process.kill(p, 0);
        return false;
      } catch {
        return true;
      }
    },
  });
}

function signal(child: Child, sig: NodeJS.Signals): void {
  const pid = child.pid();
  if (pid === undefined || child.exited()) return;
  try {
    process.kill(pid, sig);
  } catch {
    // ESRCH: gone in the meantime.
  }
}

const alive = () => [...children].filter((c) => !c.exited());

/** SIGTERM to every live child, SIGKILL to those still alive after `graceMs`; resolves when none is left. */
export async function stopChildren(graceMs: number): Promise<void> {
  closing = true;
  for (const c of alive()) signal(c, 'SIGTERM');
  const killAt = Date.now() + graceMs;
  while (alive().length > 0 && Date.now() < killAt) await new Promise((r) => setTimeout(r, 50));
  killChildrenNow();
  while (alive().length > 0 && Date.now() < killAt + 2_000) await new Promise((r) => setTimeout(r, 20));
}

/** SIGKILL to every live child, synchronously (usable in an 'exit' handler). Returns how many. */
export function killChildrenNow(): number {
  closing = true;
  const left = alive();
  for (const c of left) signal(c, 'SIGKILL');
  return left.length;
}

export type StopReason = 'SIGINT' | 'SIGTERM' | 'crash';

export interface StopOnExitOptions {
  /**
   * The tool's own orderly stop, run beside the stopping of every child on a signal or a crash: stop its
   * fleet, report, remove its scratch data. For a signal it may return the exit code (default 130 for
   * SIGINT, 143 for SIGTERM); a crash always exits 1.
   */
  onStop?: (reason: StopReason) => Promise<number | undefined> | Promise<void>;
  /** SIGTERM to SIGKILL, for the children (default 15 s, like ServiceProcess.stop). */
  graceMs?: number;
}

let installed = false;

/**
 * For entry points: on SIGINT, SIGTERM, an uncaught exception or an unhandled rejection, stops every
 * registered child (SIGTERM, then SIGKILL after the grace) while running `onStop`, then exits (non-zero
 * on a crash). On any exit, a normal one included, SIGKILLs synchronously whatever is still alive.
 * A second signal while stopping kills at once.
 */
export function stopOnExit(opts: StopOnExitOptions = {}): void {
  if (installed) throw new Error('stopOnExit() is for the entry point, once');
  installed = true;
  const graceMs = opts.graceMs ?? 15_000;
  let stopping = false;
  let crashed = false;

  const begin = (reason: StopReason, defaultCode: number) => {
    if (reason === 'crash') crashed = true;
    if (stopping) {
      if (reason !== 'crash') {
        killChildrenNow();
        process.exit(crashed ? 1 : defaultCode);
      }
      return;
    }
    stopping = true;
    // The tool's stop is bounded too: a hung Postgres must not keep the process (and its fleet) alive.
    const deadline = new Promise<undefined>((r) => setTimeout(() => r(undefined), graceMs + 15_000));
    const own = (opts.onStop?.(reason) ?? Promise.resolve()).catch((err: unknown) => {
      crashed = true;
      console.error('stopping failed:', err);
    });
    void Promise.all([stopChildren(graceMs), Promise.race([own, deadline])]).then(([, code]) => {
      process.exit(crashed ? 1 : typeof code === 'number' ? code : defaultCode);
    });
  };

  process.on('SIGINT', () => begin('SIGINT', 130));
  process.on('SIGTERM', () => begin('SIGTERM', 143));
  // Only the first crash is printed: a library that threw once (in a request callback, say) may keep
  // throwing on every request until the process exits.
  process.on('uncaughtException', (err) => {
    if (!crashed) console.error(err);
    begin('crash', 1);
  });
  process.on('unhandledRejection', (reason) => {
    if (!crashed) console.error('unhandled rejection:', reason);
    begin('crash', 1);
  });
  process.on('exit', () => {
    const killed = killChildrenNow();
    if (killed > 0) console.error(`killed ${killed} child process(es) still running at exit`);
  });
}
