import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { verifyJwt } from '../auth/jwt.ts';

const root = fileURLToPath(new URL('../../', import.meta.url));
const SECRET = 'token-cli-test-secret';

/** `npm run token -- ...` as a person runs it (node, not npm, so the exit code is the script's own). */
function token(...args: string[]) {
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/token.ts', ...args], {
    cwd: root,
    env: { ...process.env, JWT_SECRET: SECRET },
    encoding: 'utf8',
  });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

describe('npm run token', () => {
  it('prints a JWT for --sub, valid for --ttl seconds', () => {
    const r = token('--sub', 'alice', '--ttl', '60');
    expect(r.code).toBe(0);
    const claims = verifyJwt(r.out.trim(), SECRET, Math.floor(Date.now() / 1000));
    expect(claims).toMatchObject({ sub: 'alice' });
  });

  it('explains itself with --help', () => {
    const r = token('--help');
    expect(r.code).toBe(0);
    expect(r.out).toContain('usage: npm run token -- [--sub USER] [--ttl SECONDS]');
  });

  it('refuses unknown arguments and a bad --ttl with a clear message, no stack trace', () => {
    for (const [args, message] of [
      [['--user', 'bob'], "Unknown option '--user'"],
      [['bob'], "Unexpected argument 'bob'"],
      [['--ttl', 'soon'], '--ttl must be whole seconds, got "soon"'],
    ] as const) {
      const r = token(...args);
      expect(r.code).toBe(2);
      expect(r.err).toContain(message);
      expect(r.err).toContain('--help');
      expect(r.err).not.toMatch(/^\s+at /m);
      expect(r.out).toBe('');
    }
  });
});
