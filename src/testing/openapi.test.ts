import { expect, it } from 'vitest';
import { conformanceOf, type Doc } from './openapi.ts';
import { routesOnlyApp } from './routes-only-app.ts';

// The checker the conformance test relies on, checked against answers made up to break each rule.
it('refuses an undocumented status, field, value, error code or missing header', async () => {
  const app = routesOnlyApp();
  const doc = (await (await app.request('/openapi.json')).json()) as Doc;
  const api = conformanceOf(doc);
  const h = new Headers({ 'content-type': 'application/json' });
  const claim = {
    id: '00000000-0000-4000-8000-000000000000',
    campaignId: 'c',
    userId: 'u',
    couponCode: 'X',
    claimedAt: new Date().toISOString(),
    status: 'pending',
  };
  api.check('POST', '/v1/campaigns/c/claims', { status: 201, headers: h, text: '', body: { claim } });
  expect(() =>
    api.check('POST', '/v1/campaigns/c/claims', {
      status: 201,
      headers: h,
      text: '',
      body: { claim: { ...claim, extra: 1 } },
    }),
  ).toThrow(/additional/);
  expect(() =>
    api.check('POST', '/v1/campaigns/c/claims', {
      status: 201,
      headers: h,
      text: '',
      body: { claim: { ...claim, status: 'x' } },
    }),
  ).toThrow();
  expect(() =>
    api.check('POST', '/v1/campaigns/c/claims', { status: 418, headers: h, text: '', body: {} }),
  ).toThrow(/not documented/);
  expect(() =>
    api.check('POST', '/v1/campaigns/c/claims', {
      status: 410,
      headers: h,
      text: '',
      body: { error: { code: 'already_claimed', message: 'm' } },
    }),
  ).toThrow();
  api.check('POST', '/v1/campaigns/c/claims', {
    status: 410,
    headers: h,
    text: '',
    body: { error: { code: 'sold_out', message: 'm' } },
  });
  expect(() =>
    api.check('POST', '/v1/admin/campaigns', { status: 201, headers: h, text: '', body: { id: 'x' } }),
  ).toThrow(/ETag|required/);
});
