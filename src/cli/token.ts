import { parseArgs } from 'node:util';
import { signJwt } from '../auth/jwt.ts';
import { loadConfig } from '../config.ts';

/** Prints a user JWT signed with JWT_SECRET, for trying the API by hand: npm run token -- --sub alice */
const { values } = parseArgs({
  options: { sub: { type: 'string', default: 'user-1' }, ttl: { type: 'string', default: '3600' } },
});
const config = loadConfig();
const now = Math.floor(Date.now() / 1000);
console.log(signJwt({ sub: values.sub, iat: now, exp: now + Number(values.ttl) }, config.JWT_SECRET));
