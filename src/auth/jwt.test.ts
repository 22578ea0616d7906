import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { signJwt, verifyJwt } from './jwt.ts';

const secret = 'secret';
const now = 1_800_000_000;

describe('verifyJwt', () => {
  it('accepts a token signed with the secret and returns its sub', () => {
    expect(verifyJwt(signJwt({ sub: 'alice', exp: now + 60 }, secret), secret, now)).toEqual({
      ok: true,
      sub: 'alice',
      exp: now + 60,
    });
  });

  it('refuses a token signed with another secret', () => {
    expect(verifyJwt(signJwt({ sub: 'alice' }, 'other'), secret, now)).toEqual({
      ok: false,
      reason: 'bad signature',
    });
  });

  it('refuses an expired token, allowing a few seconds of clock skew', () => {
    expect(verifyJwt(signJwt({ sub: 'a', exp: now - 3 }, secret), secret, now).ok).toBe(true);
    expect(verifyJwt(signJwt({ sub: 'a', exp: now - 60 }, secret), secret, now)).toEqual({
      ok: false,
      reason: 'token expired',
    });
  });

  it('refuses a token not valid yet', () => {
    expect(verifyJwt(signJwt({ sub: 'a', nbf: now + 60 }, secret), secret, now).ok).toBe(false);
  });

  it('refuses alg none and other algorithms even with a matching body', () => {
    const body = Buffer.from(JSON.stringify({ sub: 'a' })).toString('base64url');
    const none = `${Buffer.from('{"alg":"none"}').toString('base64url')}.${body}.`;
    expect(verifyJwt(none, secret, now)).toEqual({ ok: false, reason: 'unsupported algorithm' });
    const h = Buffer.from('{"alg":"HS512"}').toString('base64url');
    const sig = createHmac('sha256', secret).update(`${h}.${body}`).digest('base64url');
    expect(verifyJwt(`${h}.${body}.${sig}`, secret, now).ok).toBe(false);
  });

  it('refuses malformed tokens and bad subjects', () => {
    for (const token of ['', 'a.b', 'a.b.c.d', '!!!.???.***'])
      expect(verifyJwt(token, secret, now).ok).toBe(false);
    expect(verifyJwt(signJwt({ sub: '' }, secret), secret, now).ok).toBe(false);
    expect(verifyJwt(signJwt({ sub: 'x'.repeat(129) }, secret), secret, now).ok).toBe(false);
    expect(verifyJwt(signJwt({ sub: 42 } as never, secret), secret, now).ok).toBe(false);
  });

  it('detects a tampered payload', () => {
    const [h, , s] = signJwt({ sub: 'alice' }, secret).split('.');
    const forged = `${h}.${Buffer.from('{"sub":"mallory"}').toString('base64url')}.${s}`;
    expect(verifyJwt(forged, secret, now)).toEqual({ ok: false, reason: 'bad signature' });
  });

  it('decodes base64url strictly: padding, foreign characters or changed unused bits are another token', () => {
    const token = signJwt({ sub: 'alice' }, secret);
    const [h, p, sig] = token.split('.') as [string, string, string];
    expect(verifyJwt(token, secret, now).ok).toBe(true);
    // A 32-byte HMAC is 43 base64url characters: the last one carries 4 bits, 2 of them unused.
    const last = sig.at(-1)!;
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    const sibling = alphabet[alphabet.indexOf(last) ^ 1]!;
    for (const forged of [
      `${h}.${p}.${sig}=`,
      `${h}.${p}.${sig}!!`,
      `${h}.${p}.${sig.slice(0, -1)}${sibling}`,
      `${h}.${p}=.${sig}`,
      `${h}=.${p}.${sig}`,
      `${h}.${p}.${sig.replace(/-/g, '+').replace(/_/g, '/')}`,
    ]) {
      if (forged === token) continue;
      expect(verifyJwt(forged, secret, now), forged).toEqual({ ok: false, reason: 'malformed token' });
    }
  });

  it('refuses a sub with a NUL, another control character or a lone surrogate, however well signed', () => {
    for (const sub of [
      'a\u0000b',
      'line\nbreak',
      'bell\u0007',
      'c1\u0085',
      'lone\ud800',
      'lone\udbff',
      '\udc00x',
    ]) {
      const result = verifyJwt(signJwt({ sub }, secret), secret, now);
      expect(result.ok, JSON.stringify(sub)).toBe(false);
    }
    // Surrogates that pair up are a character like any other.
    expect(verifyJwt(signJwt({ sub: 'emoji\ud83d\ude00' }, secret), secret, now).ok).toBe(true);
  });
});
