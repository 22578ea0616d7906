/**
 * A first look at the claim path's cost: one ROLE=all process, the claim route against the app's bare
 * JSON route (GET /v1/ping), same connections, alternating rounds in one run so machine noise hits both.
 * Prints claims/s, ping req/s and their ratio. `npm run bench:single`
 */
import autocannon from 'autocannon';
import { adminClient, mintTokens } from './lib/api.ts';
import { spawnService, waitReady } from './lib/processes.ts';

const PORT = Number(process.env.BENCH_PORT ?? 3999);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 64);
const ADMIN_TOKEN = 'bench-admin-token';
const JWT_SECRET = 'bench-jwt-secret';
const run = Date.now().toString(36);

const service = spawnService({
  name: 'all',
  port: PORT,
  env: {
    ROLE: 'all',
    ADMIN_TOKEN,
    JWT_SECRET,
    REDIS_PREFIX: `bench-${run}`,
    DATABASE_URL: process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/flashsale_bench',
    LOG_LEVEL: 'warn',
    RATE_LIMIT_PER_SECOND: '1000',
    RATE_LIMIT_ADDRESS_PER_SECOND: '0',
  },
  onLine: (line) => process.stderr.write(`[service] ${line}\n`),
});

function load(opts: autocannon.Options): Promise<autocannon.Result> {
  return new Promise((resolve, reject) => {
    autocannon(opts, (err, result) => (err ? reject(err) : resolve(result)));
  });
}

try {
  await waitReady(service);
  const base = `http://127.0.0.1:${PORT}`;
  const admin = adminClient(base, ADMIN_TOKEN);
  const campaignId = `bench-${run}`;
  // Stock big enough that every claim in the run succeeds: this measures the winning path.
  await admin.createCampaign({ id: campaignId, totalStock: 10_000_000 });
  const tokens = mintTokens(JWT_SECRET, `u${run}`, 400_000);
  let next = 0;

  const totals = { ping: 0, claim: 0, pingSeconds: 0, claimSeconds: 0, claimNon2xx: 0 };
  for (let round = 1; round <= ROUNDS; round++) {
    const ping = await load({ url: `${base}/v1/ping`, connections: CONNECTIONS, duration: SECONDS });
    const claims = await load({
      url: `${base}/v1/campaigns/${campaignId}/claims`,
      method: 'POST',
      connections: CONNECTIONS,
      duration: SECONDS,
      requests: [
        {
          setupRequest: (req) => ({
            ...req,
            headers: { ...req.headers, authorization: `Bearer ${tokens[next++ % tokens.length]}` },
          }),
        },
      ],
    });
    totals.ping += ping.requests.total;
    totals.pingSeconds += ping.duration;
    totals.claim += claims['2xx'];
    totals.claimNon2xx += claims.non2xx + claims.errors;
    totals.claimSeconds += claims.duration;
    console.log(
      `round ${round}: ping ${Math.round(ping.requests.average)} req/s (p99 ${ping.latency.p99} ms), ` +
        `claims ${Math.round(claims['2xx'] / claims.duration)} /s (p99 ${claims.latency.p99} ms, non-2xx ${claims.non2xx})`,
    );
  }
  const pingRate = totals.ping / totals.pingSeconds;
  const claimRate = totals.claim / totals.claimSeconds;
  const stats = await admin.stats(campaignId);
  console.log('');
  console.log(`single ROLE=all process, ${CONNECTIONS} connections, ${ROUNDS} x ${SECONDS}s rounds each`);
  console.log(`  bare JSON route (GET /v1/ping): ${pingRate.toFixed(0)} req/s`);
  console.log(
    `  claim path (201s):              ${claimRate.toFixed(0)} claims/s  (non-2xx ${totals.claimNon2xx})`,
  );
  console.log(`  ratio claim / bare:             ${(claimRate / pingRate).toFixed(2)}`);
  console.log(
    `  campaign after run: claimed ${stats.claimed}, persisted ${stats.persisted}, pending ${stats.pending}`,
  );
} finally {
  const code = await service.stop();
  if (code !== 0) console.error(`service exited with ${code}`);
}
