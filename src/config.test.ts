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
