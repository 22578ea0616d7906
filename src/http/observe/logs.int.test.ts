import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPersistWorker } from '../../bootstrap/roles.ts';
import { createServices } from '../../bootstrap/services.ts';
import { claimWithoutEnqueue } from '../../testing/claims.ts';
import { ADMIN_TOKEN, createTestEnv, type TestEnv } from '../../testing/harness.ts';
import { admin, call, createCampaign, eventually } from '../../testing/http.ts';
import { captureLog, type LogLine } from '../../testing/log-capture.ts';

/**
 * The logs a person follows: one access line per request (method, route, status, duration, request id),
 * the claim route sampled by ACCESS_LOG_CLAIMS, and the request id carried into the claim's persist job
 * (the worker's lines) and into the reconciler pass an admin asked for.
 */
let env: TestEnv;
const closers: (() => Promise<void>)[] = [];

beforeAll(async () => {
  env = await createTestEnv('logs');
});
afterAll(async () => {
  for (const close of closers.reverse()) await close().catch(() => {});
  await env.cleanup();
});

function instance(more: Record<string, string>) {
  const { log, lines } = captureLog('debug');
  return { ...env.instance(more, { log }), lines };
}

const access = (lines: LogLine[]) => lines.filter((l) => l.log === 'access');

describe('access log', () => {
  it('writes one line per request with method, route, path, status, duration and request id', async () => {
    const { app, lines } = instance({ ACCESS_LOG_CLAIMS: 'all' });
    const { id } = await createCampaign(app, { totalStock: 2 });
    const res = await call(app, 'POST', `/v1/campaigns/${id}/claims`, {
      token: env.userToken('log-user'),
      headers: { 'x-request-id': 'req-claim-1' },
    });
    expect(res.status).toBe(201);
    expect(res.headers.get('x-request-id')).toBe('req-claim-1');
    const line = access(lines).find((l) => l.requestId === 'req-claim-1');
    expect(line).toMatchObject({
      level: 'info',
      msg: 'request',
      method: 'POST',
      route: '/v1/campaigns/:id/claims',
      path: `/v1/campaigns/${id}/claims`,
      status: 201,
      userId: 'log-user',
    });
    expect(typeof line?.durationMs).toBe('number');
    expect(typeof line?.time).toBe('string');
    // The admin call that made the campaign has its line too (every route but the claim routes is logged).
    expect(access(lines).some((l) => l.route === '/v1/admin/campaigns' && l.status === 201)).toBe(true);
  });

  it('with errors, logs no claim answer but a 5xx, and every other route still', async () => {
    const { app, lines } = instance({ ACCESS_LOG_CLAIMS: 'errors' });
    const { id } = await createCampaign(app, { totalStock: 1 });
    for (const user of ['e-1', 'e-2', 'e-3'])
      await call(app, 'POST', `/v1/campaigns/${id}/claims`, { token: env.userToken(user) });
    await call(app, 'GET', `/v1/campaigns/${id}`);
    const routes = access(lines).map((l) => l.route);
    expect(routes).not.toContain('/v1/campaigns/:id/claims');
    expect(routes).toContain('/v1/campaigns/:id');
  });
});

describe('request id downstream', () => {
  it("reaches the worker's line for the job that persisted the claim", async () => {
    const api = instance({});
    const { log, lines } = captureLog('debug');
    const workerServices = createServices(env.config, log, { dbPoolSize: 2 });
    const worker = startPersistWorker(workerServices);
    closers.push(async () => {
      await worker.close();
      await workerServices.close();
    });
    const { id } = await createCampaign(api.app, { totalStock: 3 });
    const res = await call(api.app, 'POST', `/v1/campaigns/${id}/claims`, {
      token: env.userToken('traced'),
      headers: { 'x-request-id': 'req-traced-7' },
    });
    expect(res.status).toBe(201);
    const carried = (l: LogLine) =>
      l.msg === 'claims persisted' && (l.requestIds as string[]).includes('req-traced-7');
    await eventually(async () => lines.some(carried));
    expect(lines.find(carried)).toMatchObject({ level: 'debug', claims: expect.any(Number) });
  });

  it("reaches the reconciler's line for a claim whose enqueue was lost (kept in the pending record)", async () => {
    const inst = instance({});
    const { id } = await createCampaign(inst.app, { totalStock: 3 });
    await claimWithoutEnqueue(inst, id, ['lost-traced'], { requestId: 'req-lost-9' });
    expect((await admin(inst.app, 'POST', '/reconcile', { campaignId: id })).status).toBe(200);
    const requeued = inst.lines.find((l) => l.msg.includes('requeued') && l.campaignId === id);
    expect(requeued).toMatchObject({ level: 'warn', requestIds: ['req-lost-9'] });
  });

  it('reaches the lines of a reconciler pass an admin asked for', async () => {
    const { app, lines } = instance({});
    const { id } = await createCampaign(app, { totalStock: 3 });
    const res = await call(app, 'POST', '/v1/admin/reconcile', {
      token: ADMIN_TOKEN,
      body: { campaignId: id },
      headers: { 'x-request-id': 'req-reconcile-3' },
    });
    expect(res.status).toBe(200);
    const finished = lines.find((l) => l.msg === 'reconciliation finished');
    expect(finished).toMatchObject({ requestId: 'req-reconcile-3', trigger: 'manual' });
    expect(typeof finished?.reconcileRun).toBe('string');
  });
});
