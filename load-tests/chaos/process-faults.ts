import { type ChildProcess, spawn } from 'node:child_process';
import { trackChild } from '../lib/children.ts';
import { projectRoot } from '../lib/processes.ts';
import { type FaultContext, type Scenario, sleep } from './scenario.ts';
import { ADMIN_TOKEN, type World } from './world.ts';

/** Faults of the service's own processes, of Postgres, and of the machine. */

const apis = (world: World) => world.processes.filter((p) => p.url);

export const apiKill: Scenario = {
  name: 'api-kill',
  recovery: 'last-failure',
  async inject(ctx) {
    const victims = [apis(ctx.world)[1]!, apis(ctx.world)[apis(ctx.world).length - 1]!];
    ctx.mark('fault');
    await Promise.all(victims.map((p) => ctx.world.kill(p)));
    ctx.say(`kill -9 ${victims.map((p) => `${p.name} (pid ${p.pid})`).join(', ')}`);
  },
};

export const workerKill: Scenario = {
  name: 'worker-kill',
  recovery: 'persisted',
  async inject(ctx) {
    const worker = ctx.world.processes.find((p) => !p.url)!;
    ctx.mark('fault');
    await ctx.world.kill(worker);
    ctx.say(`kill -9 ${worker.name} (pid ${worker.pid}); a new worker in 2 s`);
    await sleep(2_000);
    const next = await ctx.world.spawnWorker('worker-2');
    ctx.mark('heal');
    ctx.say(`${next.name} (pid ${next.pid}) started`);
  },
};

export const crashBeforeEnqueue: Scenario = {
  name: 'crash-before-enqueue',
  env: { ENQUEUE_FLUSH_MS: '1000' },
  recovery: 'repaired',
  async inject(ctx) {
    const victim = apis(ctx.world)[1]!;
    ctx.mark('fault');
    await ctx.world.kill(victim);
    ctx.say(
      `kill -9 ${victim.name} (pid ${victim.pid}) with up to 1 s of accepted claims in its enqueue buffer`,
    );
  },
};

export const postgresCut: Scenario = {
  name: 'postgres-cut',
  recovery: 'persisted',
  async inject(ctx) {
    ctx.world.postgresProxy.cut();
    ctx.mark('fault');
    ctx.say(`Postgres cut for ${ctx.form.postgresCutS} s`);
    await sleep(ctx.form.postgresCutS * 1_000);
    ctx.world.postgresProxy.restore();
    ctx.mark('heal');
    ctx.say('Postgres restored');
  },
};

const BUSY_LOOPS = 16;

export const cpuSaturated: Scenario = {
  name: 'cpu-saturated',
  recovery: 'last-failure',
  startAtS: () => 0,
  async inject(ctx) {
    const loops: ChildProcess[] = Array.from({ length: BUSY_LOOPS }, () =>
      spawn('sh', ['-c', 'while :; do :; done'], { stdio: 'ignore' }),
    );
    const untrack = loops.map((c, i) =>
      trackChild({
        name: `busy-${i}`,
        pid: () => c.pid,
        exited: () => c.exitCode !== null || c.signalCode !== null,
      }),
    );
    const stop = async () => {
      await Promise.all(
        loops.map((c) =>
          c.exitCode !== null || c.signalCode !== null
            ? undefined
            : new Promise((r) => {
                c.once('exit', r);
                c.kill('SIGKILL');
              }),
        ),
      );
      for (const u of untrack) u();
    };
    ctx.world.onTeardown(stop);
    ctx.mark('fault');
    ctx.say(`${BUSY_LOOPS} busy loops running (pids ${loops.map((c) => c.pid).join(', ')})`);
    await ctx.trafficDone;
    await stop();
    ctx.mark('heal');
    ctx.say('busy loops stopped');
  },
};

/** `npm run reconcile -- --campaign <id> --json` with the fleet's environment: exit code and report.ok. */
function reconcileCli(world: World, campaignId: string): Promise<{ code: number | null; ok?: boolean }> {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', 'src/cli/reconcile.ts', '--campaign', campaignId, '--json'],
    { cwd: projectRoot, env: { ...process.env, ...world.env }, stdio: ['ignore', 'pipe', 'ignore'] },
  );
  const untrack = trackChild({
    name: 'reconcile-cli',
    pid: () => child.pid,
    exited: () => child.exitCode !== null || child.signalCode !== null,
  });
  let out = '';
  child.stdout.on('data', (d: Buffer) => {
    out += d.toString('utf8');
  });
  return new Promise((resolve) =>
    child.once('exit', (code) => {
      untrack();
      const json = out.slice(out.indexOf('{'));
      let ok: boolean | undefined;
      try {
        ok = (JSON.parse(json) as { ok: boolean }).ok;
      } catch {
        ok = undefined;
      }
      resolve({ code, ok });
    }),
  );
}

async function reconcileHttp(base: string, campaignId: string): Promise<{ status: number; ok?: boolean }> {
  try {
    const res = await fetch(`${base}/v1/admin/reconcile`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ campaignId }),
    });
    const body = (await res.json()) as { ok?: boolean };
    return { status: res.status, ...(res.ok ? { ok: body.ok === true } : {}) };
  } catch {
    return { status: 0 };
  }
}

export const twoReconcilers: Scenario = {
  name: 'two-reconcilers',
  recovery: 'none',
  reportsMustBeOk: true,
  startAtS: () => 0.5,
  async inject(ctx: FaultContext) {
    ctx.mark('fault');
    let rounds = 0;
    const cli: { code: number | null; ok?: boolean }[] = [];
    const http: { status: number; ok?: boolean }[] = [];
    while (!ctx.isTrafficDone()) {
      rounds++;
      const base = ctx.world.liveBases()[0]!;
      const [a, b, h] = await Promise.all([
        reconcileCli(ctx.world, ctx.campaignId),
        reconcileCli(ctx.world, ctx.campaignId),
        reconcileHttp(base, ctx.campaignId),
      ]);
      cli.push(a, b);
      http.push(h);
      ctx.say(
        `round ${rounds}: CLI exits ${a.code}, ${b.code} (ok ${a.ok}, ${b.ok}); POST ${h.status} ok ${h.ok}`,
      );
    }
    ctx.mark('heal');
    const cliBad = cli.filter((r) => r.code !== 0 || r.ok !== true);
    const httpBad = http.filter((r) => r.status !== 200 || r.ok !== true);
    ctx.check(cliBad.length === 0, `${cli.length} CLI passes: ${cliBad.length} not exit 0 with an ok report`);
    ctx.check(httpBad.length === 0, `${http.length} POST /reconcile: ${httpBad.length} not 200 with ok`);
    ctx.note(`${rounds} rounds of two CLI passes and a POST /v1/admin/reconcile during the storm`);
  },
};
