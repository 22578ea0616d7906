/**
 * postgres.js 3.4.9 schedules a write with setImmediate and, when the connection closes before it
 * runs, calls write on a socket it has already dropped: `TypeError: Cannot read properties of null
 * (reading 'write')` in connection.js `nextWrite`, thrown from a timer, so nothing can catch it
 * (porsager/postgres #1066, #1154, #1208; fixes proposed, not released). The connection is gone by then
 * and the queries on it have failed already (they are retried), so the only harm is the crash. This tells
 * that one error apart, so the entry points can log it and keep serving.
 */
export function isClosedConnectionWrite(err: unknown): boolean {
  return (
    err instanceof TypeError &&
    /reading 'write'/.test(err.message) &&
    /postgres[\\/]src[\\/]connection\.js/.test(err.stack ?? '') &&
    /nextWrite/.test(err.stack ?? '')
  );
}
