import type { Redis } from 'ioredis';

/**
 * The run id (INFO server run_id) of the Redis server a connection is attached to, for the fence
 * (lua/includes/fence.lua): a restart, a promoted replica or a restored snapshot is a new run id. It is
 * read on every (re)connection and forgotten the moment the connection drops, so a command never
 * carries the run id of a server it is not talking to. While unknown, request-path calls fail fast (503).
 * The same read tells the server's version and whether it has AOF on (replica-wait.ts uses both).
 */
export interface ServerRun {
  current(): string | null;
  /** Resolves with the run id once known (for background work, which may wait). */
  known(): Promise<string>;
  /** Version and persistence of the server, once known. */
  server(): { version: string; aof: boolean } | null;
  /** Called whenever the connection finds a run id other than the last one it saw. */
  onChange(listener: (runId: string, previous: string | null) => void): void;
}

const field = (text: string, name: string) => new RegExp(`^${name}:(\\S+)\\s*$`, 'm').exec(text)?.[1];

export function trackServerRun(redis: Redis): ServerRun {
  let runId: string | null = null;
  let last: string | null = null;
  let server: { version: string; aof: boolean } | null = null;
  let generation = 0;
  let waiters: ((id: string) => void)[] = [];
  const listeners: ((runId: string, previous: string | null) => void)[] = [];
  const forget = () => {
    generation++;
    runId = null;
  };
  const learn = () => {
    const mine = ++generation;
    redis.info().then(
      (reply) => {
        const text = String(reply);
        const id = field(text, 'run_id');
        if (mine !== generation || !id) return;
        runId = id;
        server = { version: field(text, 'redis_version') ?? '0', aof: field(text, 'aof_enabled') === '1' };
        const previous = last;
        last = id;
        for (const w of waiters) w(id);
        waiters = [];
        if (id !== previous) for (const l of listeners) l(id, previous);
      },
      () => {
        // The connection dropped before answering: the next 'ready' asks again.
      },
    );
  };
  redis.on('close', forget);
  redis.on('end', forget);
  redis.on('ready', learn);
  if (redis.status === 'ready') learn();
  return {
    current: () => runId,
    known: () => (runId ? Promise.resolve(runId) : new Promise((resolve) => waiters.push(resolve))),
    server: () => server,
    onChange: (listener) => void listeners.push(listener),
  };
}
