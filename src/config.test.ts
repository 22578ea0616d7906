import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './config.ts';

describe('loadConfig', () => {
  it('has defaults that run on a local machine', () => {
    const c = loadConfig({});
    expect(c).toMatchObject({ PORT: 3000, ROLE: 'all', REDIS_URL: 'redis://127.0.0.1:6379' });
    expect(c.DATABASE_URL).toBe('postgres://postgres@127.0.0.1:5432/flashsale');
  });

  it('reports every invalid setting at once', () => {
    expect(() => loadConfig({ PORT: 'x', ROLE: 'boss' })).toThrow(/PORT[\s\S]*ROLE/);
  });

  it('refuses to run production with the development secrets', () => {
    expect(() => loadConfig({ NODE_ENV: 'production' })).toThrow(ConfigError);
    const secrets = {
      ADMIN_TOKEN: 'a'.repeat(24),
      SERVICE_TOKEN: 's'.repeat(24),
      JWT_SECRET: 'b'.repeat(32),
    };
    expect(() => loadConfig({ NODE_ENV: 'production', ...secrets, JWT_SECRET: 'short' })).toThrow(
      /^production needs JWT_SECRET/,
    );
    expect(() => loadConfig({ NODE_ENV: 'production', ...secrets, SERVICE_TOKEN: undefined })).toThrow(
      /SERVICE_TOKEN/,
    );
    expect(loadConfig({ NODE_ENV: 'production', ...secrets }).NODE_ENV).toBe('production');
  });
});

describe('PG_POOL_MAX', () => {
  const url = 'postgres://postgres@127.0.0.1:5432/flashsale';
  it('is 10 unless PG_POOL_MAX or ?max= in DATABASE_URL says otherwise', () => {
    expect(loadConfig({}).PG_POOL_MAX).toBe(10);
    expect(loadConfig({ PG_POOL_MAX: '3' }).PG_POOL_MAX).toBe(3);
    expect(loadConfig({ DATABASE_URL: `${url}?max=7` }).PG_POOL_MAX).toBe(7);
    expect(loadConfig({ DATABASE_URL: `${url}?max=7`, PG_POOL_MAX: '7' }).PG_POOL_MAX).toBe(7);
  });

  it('refuses a pool size given twice with two values, or one that is not a size', () => {
    expect(() => loadConfig({ DATABASE_URL: `${url}?max=7`, PG_POOL_MAX: '3' })).toThrow(
      /PG_POOL_MAX=3 and \?max=7 in DATABASE_URL disagree/,
    );
    expect(() => loadConfig({ DATABASE_URL: `${url}?max=lots` })).toThrow(/\?max=lots is not a pool size/);
    expect(() => loadConfig({ PG_POOL_MAX: '0' })).toThrow(/PG_POOL_MAX/);
  });
});

describe('ACCESS_LOG_CLAIMS', () => {
  it('is all, errors or a fraction', () => {
    expect(loadConfig({ ACCESS_LOG_CLAIMS: 'all' }).ACCESS_LOG_CLAIMS).toBe('all');
    expect(loadConfig({ ACCESS_LOG_CLAIMS: 'errors' }).ACCESS_LOG_CLAIMS).toBe('errors');
    expect(loadConfig({ ACCESS_LOG_CLAIMS: '0.05' }).ACCESS_LOG_CLAIMS).toBe(0.05);
    expect(loadConfig({ ACCESS_LOG_CLAIMS: '1' }).ACCESS_LOG_CLAIMS).toBe(1);
    expect(() => loadConfig({ ACCESS_LOG_CLAIMS: 'some' })).toThrow(/ACCESS_LOG_CLAIMS/);
    expect(() => loadConfig({ ACCESS_LOG_CLAIMS: '1.5' })).toThrow(/ACCESS_LOG_CLAIMS/);
  });
});
