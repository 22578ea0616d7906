import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { createLogger, type Logger } from '../shared/logger.ts';
import { type PrivateRedis, startPrivateRedis } from '../testing/redis-server.ts';
import { checkRedisDurability } from './durability.ts';

const servers: PrivateRedis[] = [];
const clients: Redis[] = [];
afterAll(async () => {
  for (const c of clients) c.disconnect();
  for (const s of servers) await s.stop();
});

function capture(): { log: Logger; warnings: string[] } {
  const warnings: string[] = [];
  const base = createLogger('silent');
  return { warnings, log: { ...base, warn: (msg) => void warnings.push(msg), child: () => base } };
}

async function serverWith(args: string[]) {
  const server = await startPrivateRedis(args);
  servers.push(server);
  const client = new Redis(server.url);
  clients.push(client);
  return client;
}

describe('checkRedisDurability', () => {
  it('is quiet for noeviction with AOF on', async () => {
    const { log, warnings } = capture();
    const result = await checkRedisDurability(await serverWith(['--appendonly', 'yes']), log);
    expect(result).toMatchObject({ maxmemoryPolicy: 'noeviction', appendonly: 'yes', warnings: [] });
    expect(warnings).toEqual([]);
  });

  it('warns about an eviction policy and about persistence being off', async () => {
    const { log, warnings } = capture();
    await checkRedisDurability(await serverWith(['--maxmemory-policy', 'allkeys-lru']), log);
    expect(warnings).toHaveLength(2);
    expect(warnings[0]).toMatch(/maxmemory-policy is "allkeys-lru".*noeviction/);
    expect(warnings[1]).toMatch(/persistence is off.*appendonly/);
  });

  it('warns that snapshots alone lose the latest claims', async () => {
    const { log, warnings } = capture();
    await checkRedisDurability(await serverWith(['--save', '60 1']), log);
    expect(warnings).toEqual([expect.stringMatching(/snapshots only/)]);
  });
});
