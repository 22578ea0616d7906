import { describe, expect, it } from 'vitest';
import { captureLog } from '../../testing/log-capture.ts';
import { createAccessLog, sampler } from './access-log.ts';

const line = (route: string, status: number) => ({
  method: 'POST',
  route,
  path: route.replace(':id', 'c1'),
  status,
  durationMs: 1.5,
  requestId: 'req-1',
});

describe('sampler', () => {
  it('all keeps every answer; errors keeps 5xx only', () => {
    expect([201, 410, 503].map(sampler('all'))).toEqual([true, true, true]);
    expect([201, 409, 410, 429, 500, 503].map(sampler('errors'))).toEqual([
      false,
      false,
      false,
      false,
      true,
      true,
    ]);
  });

  it('a fraction keeps that share of the answers, and every 5xx', () => {
    let r = 0;
    const draws = [0.05, 0.5, 0.09, 0.95];
    const keep = sampler(0.1, () => draws[r++ % draws.length]!);
    expect([201, 201, 410, 410].map(keep)).toEqual([true, false, true, false]);
    expect(sampler(0.1, () => 0.99)(503)).toBe(true);
    expect(sampler(0, () => 0)(201)).toBe(false);
  });
});

describe('createAccessLog', () => {
  it('samples the hot claim route only, logs 5xx as warnings and probes at debug', () => {
    const { log, lines } = captureLog('debug');
    const access = createAccessLog(log, 'errors');
    const write = (l: ReturnType<typeof line>) => {
      const level = access.levelOf(l.route, l.status);
      if (level) access.write(level, l);
    };
    write(line('/v1/campaigns/:id/claims', 201));
    write(line('/v1/campaigns/:id/claims', 410));
    write(line('/v1/campaigns/:id/claims', 503));
    write(line('/v1/admin/campaigns', 201));
    write({ ...line('/healthz', 200), method: 'GET' });
    expect(lines.map((l) => [l.level, l.route, l.status])).toEqual([
      ['warn', '/v1/campaigns/:id/claims', 503],
      ['info', '/v1/admin/campaigns', 201],
      ['debug', '/healthz', 200],
    ]);
    expect(lines[1]).toMatchObject({
      log: 'access',
      msg: 'request',
      method: 'POST',
      path: '/v1/admin/campaigns',
      durationMs: 1.5,
      requestId: 'req-1',
    });
  });

  it('writes nothing below the log level, and all logs every claim', () => {
    const quiet = captureLog('warn');
    expect(createAccessLog(quiet.log, 'all').levelOf('/v1/admin/campaigns', 201)).toBeNull();
    expect(createAccessLog(quiet.log, 'all').levelOf('/v1/admin/campaigns', 503)).toBe('warn');
    const { log, lines } = captureLog('info');
    const access = createAccessLog(log, 'all');
    const write = (l: ReturnType<typeof line>) => {
      const level = access.levelOf(l.route, l.status);
      if (level) access.write(level, l);
    };
    for (const status of [201, 409, 410]) write(line('/v1/campaigns/:id/claims', status));
    expect(lines).toHaveLength(3);
  });
});
