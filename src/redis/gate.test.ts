import { EventEmitter } from 'node:events';
import { connect, createServer, type Socket } from 'node:net';
import type { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { UnavailableError } from '../shared/errors.ts';
import { createRedisGate } from './gate.ts';

const TIMEOUT_MS = 500;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** This process busy for `ms` (a burst of requests being parsed and routed), not Redis. */
const busy = (ms: number) => {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    // spin: no timer and no socket read can run meanwhile
  }
};

/** A connection whose bytes and replies the test sends by hand. */
function fakeConnection() {
  const stream = new EventEmitter();
  const client = Object.assign(new EventEmitter(), { status: 'ready', stream }) as unknown as Redis;
  let answer!: (value: string) => void;
  const reply = new Promise<string>((resolve) => {
    answer = resolve;
  });
  return {
    client,
    call: () => reply,
    answer: () => {
      stream.emit('data', Buffer.from('+PONG\r\n'));
      answer('PONG');
    },
  };
}

describe('the Redis gate', () => {
  it('does not count the time this process was busy as Redis being silent', async () => {
    const conn = fakeConnection();
    const gate = createRedisGate(conn.client, TIMEOUT_MS);
    await sleep(TIMEOUT_MS + 100); // idle: the last byte is long ago
    const outcome = gate.run(conn.call).then(
      (v) => v,
      (err: unknown) => err,
    );
    busy(TIMEOUT_MS + 200);
    // Attentive again; Redis answers within less than the timeout of that.
    await sleep(TIMEOUT_MS - 200);
    conn.answer();
    expect(await outcome).toBe('PONG');
  });

  it('fails the call with a 503 once Redis has been silent for the timeout while this process was attentive', async () => {
    const conn = fakeConnection();
    const gate = createRedisGate(conn.client, TIMEOUT_MS);
    const outcome = gate.run(conn.call).then(
      (v) => v,
      (err: unknown) => err,
    );
    busy(TIMEOUT_MS + 200);
    const attentiveAt = Date.now();
    const err = await outcome; // Redis never answers: the gate gives up by itself
    const waited = Date.now() - attentiveAt;
    expect(err).toBeInstanceOf(UnavailableError);
    // Judged from the moment this process could read again, not from when the call was made.
    expect(waited).toBeGreaterThanOrEqual(TIMEOUT_MS - 20);
    expect(waited).toBeLessThan(TIMEOUT_MS * 2);
    // And the gate stays shut for a while instead of piling more commands onto a silent connection.
    await expect(gate.run(conn.call)).rejects.toBeInstanceOf(UnavailableError);
  });

  it('gives up on a silent Redis even when this process is too busy for any sweep to run on time', async () => {
    const conn = fakeConnection();
    const gate = createRedisGate(conn.client, TIMEOUT_MS);
    const started = Date.now();
    let settled = false;
    const outcome = gate.run(conn.call).then(
      (v) => v,
      (err: unknown) => err,
    );
    void outcome.finally(() => {
      settled = true;
    });
    // Busy 300 ms, free 100 ms, over and over: every sweep is late, none can count attentive silence.
    while (!settled && Date.now() - started < TIMEOUT_MS * 10) {
      busy(300);
      await sleep(100);
    }
    expect(await outcome).toBeInstanceOf(UnavailableError);
    // Bounded by the wall clock: 4 timeouts, plus one busy stretch and a sweep of slack.
    expect(Date.now() - started).toBeLessThan(TIMEOUT_MS * 4 + 600);
  });

  it('lets a reply through when bytes keep arriving, however long the call waits', async () => {
    const conn = fakeConnection();
    const gate = createRedisGate(conn.client, TIMEOUT_MS);
    const outcome = gate.run(conn.call);
    // Redis is alive (other replies stream in) while this call waits behind them for a second.
    for (let i = 0; i < 10; i++) {
      await sleep(100);
      (conn.client.stream as unknown as EventEmitter).emit('data', Buffer.from('+OK\r\n'));
    }
    conn.answer();
    expect(await outcome).toBe('PONG');
  });

  it('reads the bytes already waiting in the socket before it fails anyone, however long this process was busy', async () => {
    // A real loopback socket: the reply reaches the kernel while this process is busy, and sits unread.
    let serverSide!: Socket;
    const server = createServer((s) => {
      serverSide = s;
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as { port: number }).port;
    const socket = connect(port, '127.0.0.1');
    await new Promise((resolve) => socket.once('connect', resolve));
    await sleep(20);
    const client = Object.assign(new EventEmitter(), { status: 'ready', stream: socket }) as unknown as Redis;
    const gate = createRedisGate(client, TIMEOUT_MS);
    const outcome = gate
      .run(() => new Promise<string>((resolve) => socket.once('data', (d) => resolve(String(d).trim()))))
      .then(
        (v) => v,
        (err: unknown) => err,
      );
    // Busy in a check-phase callback, so the loop's next step is the timers phase: the overdue sweep
    // runs before the poll phase that would read the reply.
    await new Promise<void>((resolve) =>
      setImmediate(() => {
        serverSide.write('+PONG\r\n');
        busy(TIMEOUT_MS * 5); // past the wall-clock bound: that sweep finds "silence"
        resolve();
      }),
    );
    expect(await outcome).toBe('+PONG');
    socket.destroy();
    serverSide.destroy();
    await new Promise((resolve) => server.close(resolve));
  });

  it('waits for a connection still being set up instead of refusing the call', async () => {
    const conn = fakeConnection();
    (conn.client as unknown as { status: string }).status = 'connecting';
    let known!: (id: string) => void;
    const serverRun = {
      current: () => null as string | null,
      known: () => new Promise<string>((resolve) => (known = resolve)),
      server: () => null,
      onChange: () => {},
    };
    const gate = createRedisGate(conn.client, TIMEOUT_MS, { serverRun });
    const outcome = gate.run((_r, runId) => Promise.resolve(runId));
    await sleep(50);
    serverRun.current = () => 'run-1';
    known('run-1');
    expect(await outcome).toBe('run-1');
    // Between retries (Redis away), a call fails at once.
    serverRun.current = () => null;
    (conn.client as unknown as { status: string }).status = 'reconnecting';
    await expect(gate.run(() => Promise.resolve('x'))).rejects.toBeInstanceOf(UnavailableError);
  });
});
