import { parseArgs } from 'node:util';
import { signJwt } from '../auth/jwt.ts';
import { ConfigError, loadConfig } from '../config.ts';

const USAGE = `Prints a user JWT signed with JWT_SECRET, for trying the API by hand.

usage: npm run token -- [--sub USER] [--ttl SECONDS]

  --sub USER      the user id the token carries (default user-1)
  --ttl SECONDS   how long the token is valid (default 3600)
  -h, --help      this text

JWT_SECRET is read from the environment, like the service reads it.`;

function fail(message: string): never {
  console.error(`token: ${message}\nrun with --help for the options`);
  process.exit(2);
}

let values: { sub: string; ttl: string; help: boolean };
try {
  ({ values } = parseArgs({
    options: {
      sub: { type: 'string', default: 'user-1' },
      ttl: { type: 'string', default: '3600' },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
    allowPositionals: false,
  }));
} catch (err) {
  // parseArgs names the offending argument ("Unknown option '--x'"); its stack says nothing more.
  fail(err instanceof Error ? err.message : String(err));
}
if (values.help) {
  console.log(USAGE);
  process.exit(0);
}
if (!/^\d{1,9}$/.test(values.ttl) || Number(values.ttl) < 1)
  fail(`--ttl must be whole seconds, got "${values.ttl}"`);
if (values.sub.trim() === '') fail('--sub must not be empty');

let secret: string;
try {
  secret = loadConfig().JWT_SECRET;
} catch (err) {
  if (err instanceof ConfigError) fail(err.message);
  throw err;
}
const now = Math.floor(Date.now() / 1000);
console.log(signJwt({ sub: values.sub, iat: now, exp: now + Number(values.ttl) }, secret));
