import { describe, expect, it } from 'vitest';
import { allowedMethods } from './method-not-allowed.ts';

describe('allowedMethods', () => {
  const allowed = allowedMethods([
    { method: 'ALL', path: '/v1/*' },
    { method: 'GET', path: '/v1/campaigns/:id' },
    { method: 'POST', path: '/v1/campaigns/:id/claims' },
    { method: 'GET', path: '/v1/campaigns/:id/claims/me' },
    { method: 'POST', path: '/v1/admin/campaigns' },
    { method: 'GET', path: '/v1/admin/campaigns' },
  ]);

  it('lists the methods of every route whose pattern matches the path', () => {
    expect(allowed('/v1/campaigns/c1')).toEqual(['GET', 'HEAD']);
    expect(allowed('/v1/campaigns/c1/claims')).toEqual(['POST']);
    expect(allowed('/v1/admin/campaigns')).toEqual(['GET', 'HEAD', 'POST']);
    expect(allowed('/v1/campaigns/c1/claims/me')).toEqual(['GET', 'HEAD']);
  });

  it('knows nothing of unknown paths nor of middleware wildcards', () => {
    expect(allowed('/v1/nothing/here')).toBeNull();
    expect(allowed('/v1/campaigns/a/b/c/d')).toBeNull();
    expect(allowed('/v1/campaigns.x')).toBeNull();
  });
});
