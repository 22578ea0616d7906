import { createWriteStream, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { adminClient } from '../lib/api.ts';
import type { Coverage, Form, Mode } from './plan.ts';
import { type FaultContext, type Scenario, sleep } from './scenario.ts';
import { type Settled, settle } from './settle.ts';
import { runTraffic, type UserLog } from './traffic.ts';
import { type Figures, judge, type Marks, measure } from './verdict.ts';
import { ADMIN_TOKEN, JWT_SECRET, startWorld, type World } from './world.ts';

export interface RunOptions {
  form: Form;
  scenario: Scenario;
  mode: Mode;
  coverage: Coverage;
  /** Console lines: one a second while the traffic runs, the fault's steps. */
  say?: (line: string) => void;
  /** Where the service processes' log lines go (one file per run). */
  logDir: string;
  /** The run's world once started (an entry point tears it down when interrupted). */
  onWorld?: (world: World | undefined) => void;
}

export interface RunResult {
  scenario: string;
  mode: Mode;
  coverage: Coverage;
  form: Form['name'];
  pass: boolean;
  reasons: string[];
  figures: Figures;
  /** Seconds from the traffic's start. */
  marks: { fault?: number; heal?: number; trafficEnd: number };
  settled: Omit<Settled, 'lastReport'> & { repairs?: unknown; violations?: unknown };
  checks: { ok: boolean; what: string }[];
  notes: string[];
  /** Answers per second of the traffic, by kind. */
  timeline: { second: number; acked: number; refused: number; unavailable: number; errors: number }[];
  durationS: number;
  logFile: string;
}

function timelineOf(users: UserLog[], startedAt: number): RunResult['timeline'] {
  const out: RunResult['timeline'] = [];
  for (const a of users.flatMap((u) => u.answers)) {
    const second = Math.max(0, Math.floor((a.at - startedAt) / 1000));
    while (out.length <= second)
      out.push({ second: out.length, acked: 0, refused: 0, unavailable: 0, errors: 0 });
    const b = out[second]!;
    if (a.status === 200 || a.status === 201) b.acked++;
    else if (a.status === 503) b.unavailable++;
    else if (a.status === 0) b.errors++;
    else b.refused++;
  }
  return out;
}

/** startWorld, closing the log file when it fails. */
async function startWorldLogged(
  opts: Parameters<typeof startWorld>[0] & { log: ReturnType<typeof createWriteStream> },
) {
  try {
    return await startWorld(opts);
  } catch (err) {
    opts.log.end();
    throw err;
  }
}

/** One scenario in one mode: a private world, a campaign, the storm with the fault, the verdict. */
export async function runChaos(opts: RunOptions): Promise<RunResult> {
  const { form, scenario, mode } = opts;
  const say = opts.say ?? (() => {});
  const began = Date.now();
  const checks: { ok: boolean; what: string }[] = [];
  const notes: string[] = [];
  const errorLines = new Map<string, number>();
  mkdirSync(opts.logDir, { recursive: true });
  const logFile = join(opts.logDir, `${scenario.name}-${mode}.log`);
  const log = createWriteStream(logFile);
  const world = await startWorldLogged({
    // Initials (redis-host-crash-everysec in postgres mode: rhcep): the key prefix has 32 characters at most.
    name: `${scenario.name
      .split('-')
      .map((w) => w[0])
      .join('')}${mode[0]}`,
    mode,
    apis: form.apis,
    redisArgs: scenario.redisArgs ?? [],
    replica: mode === 'replica' || scenario.replica === true,
    env: scenario.env ?? {},
    onLine: (name, line) => {
      log.write(`${name} ${line}\n`);
      const m = /"level":"error","msg":"([^"]*)"/.exec(line);
      if (m) errorLines.set(m[1]!, (errorLines.get(m[1]!) ?? 0) + 1);
    },
    onExit: (name, code) => checks.push({ ok: false, what: `${name} exited on its own with ${code}` }),
    log,
  });
  opts.onWorld?.(world);
  let result: RunResult;
  try {
    const campaignId = `chaos-${Date.now().toString(36)}`;
    await adminClient(world.bases[0]!, ADMIN_TOKEN).createCampaign({
      id: campaignId,
      totalStock: form.stock,
      perUserLimit: 1,
    });
    const marks: Marks = {};
    let trafficOver = false;
    let endTraffic = () => {};
    const trafficDone = new Promise<void>((r) => {
      endTraffic = r;
    });
    const t0 = Date.now();
    const rel = (t: number) => `${((t - t0) / 1000).toFixed(1)}s`;
    const ctx: FaultContext = {
      world,
      form,
      campaignId,
      mark: (event) => {
        marks[event] = Date.now();
      },
      note: (text) => void notes.push(text),
      check: (ok, what) => void checks.push({ ok, what }),
      say: (text) => say(`  t=${rel(Date.now()).padStart(5)} ${scenario.name}: ${text}`),
      trafficDone,
      isTrafficDone: () => trafficOver,
    };
    const fault = (async () => {
      await sleep((scenario.startAtS?.(form) ?? form.seconds / 3) * 1000);
      await scenario.inject(ctx);
    })().catch((err: unknown) => {
      checks.push({ ok: false, what: `the fault could not be injected: ${String(err)}` });
    });
    const traffic = await runTraffic({
      campaignId,
      users: form.rate * form.seconds,
      rate: form.rate,
      jwtSecret: JWT_SECRET,
      liveBases: world.liveBases,
      allBases: world.bases,
      onSecond: say,
    }).finally(() => {
      trafficOver = true;
      endTraffic();
    });
    await fault;
    const settled = await settle(world, campaignId);
    for (const p of settled.problems) checks.push({ ok: false, what: p });
    notes.push(...settled.notes);
    const figures = await measure({
      databaseUrl: world.databaseUrl,
      campaignId,
      users: traffic.users,
      recovery: scenario.recovery,
      marks,
    });
    if (scenario.reportsMustBeOk) {
      const bad = Object.entries(figures.reportsNotOk);
      checks.push({
        ok: bad.length === 0,
        what: `stored reports not ok: ${JSON.stringify(figures.reportsNotOk)}`,
      });
    }
    if (traffic.drive.lateStarts > 0) notes.push(`${traffic.drive.lateStarts} arrivals started >100 ms late`);
    for (const [msg, n] of errorLines) notes.push(`service log error x${n}: ${msg}`);
    for (const [why, n] of Object.entries(figures.unavailableWhy)) notes.push(`503 x${n}: ${why}`);
    const { pass, reasons } = judge(figures, form.stock, opts.coverage, checks);
    const { lastReport, ...rest } = settled;
    const at = (t: number | undefined) => (t === undefined ? undefined : Math.round((t - t0) / 100) / 10);
    result = {
      scenario: scenario.name,
      mode,
      coverage: opts.coverage,
      form: form.name,
      pass,
      reasons,
      figures,
      marks: { fault: at(marks.fault), heal: at(marks.heal), trafficEnd: at(traffic.endedAt)! },
      settled: { ...rest, repairs: lastReport?.repairs, violations: lastReport?.violations },
      checks,
      notes,
      timeline: timelineOf(traffic.users, traffic.startedAt),
      durationS: 0,
      logFile,
    };
  } finally {
    await world.teardown();
    opts.onWorld?.(undefined);
    log.end();
  }
  result.durationS = Math.round((Date.now() - began) / 100) / 10;
  return result;
}
