import { describe, expect, it } from 'vitest';
import { isClosedConnectionWrite } from './driver-races.ts';

describe('isClosedConnectionWrite', () => {
  it('recognises the postgres.js write on a closed connection, and nothing else', () => {
    const race = new TypeError("Cannot read properties of null (reading 'write')");
    race.stack = `${race.message}\n    at nextWrite (/app/node_modules/postgres/src/connection.js:255:22)\n    at process.processImmediate (node:internal/timers:483:21)`;
    expect(isClosedConnectionWrite(race)).toBe(true);
    const elsewhere = new TypeError("Cannot read properties of null (reading 'write')");
    elsewhere.stack = `${elsewhere.message}\n    at ours (/app/src/http/server.ts:10:1)`;
    expect(isClosedConnectionWrite(elsewhere)).toBe(false);
    expect(isClosedConnectionWrite(new Error('boom'))).toBe(false);
  });
});
