// What one trial costs the store as a study grows: ask (the study's oracle deciding, as the
// Tuner asks) + tell (a realistic outcome), on studies that already hold 100, 1,000 and
// 10,000 finished trials, on SQLite and PostgreSQL; and the throughput of 8 processes
// asking and telling on one study at once.
//
//   npm run bench:store                                  # SQLite, and PostgreSQL on a throw-away server
//   npx tsx bench/store.ts --stores sqlite --rounds 100
//   GRADTUNE_BENCH_POSTGRES_URL=postgresql://u:pw@host/db npx tsx bench/store.ts
//
// Finished trials are written as a search writes them: params drawn by the oracle, 30
// epochs of history, gradient statistics for 4 layers per epoch, a checkpoint. The sizes
// are measured in alternation (one ask + tell on each study in turn, every round), so a
// shared machine's drift falls on all of them alike; medians and p95 over the rounds.
// Targets (issue 16): at 10,000 trials <= 10 ms on SQLite and <= 20 ms on PostgreSQL, and
// no more than 1.5x the figure at 100 trials.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import Database from 'better-sqlite3';
import pg from 'pg';
import seedrandom from 'seedrandom';
import { buildOracle } from '../src/oracle/build.js';
import { sampleParams } from '../src/space/define.js';
import { loadSpace } from '../src/space/load.js';
import { randomDecider } from '../src/space/sample.js';
import type { SearchSpace } from '../src/space/define.js';
import { encodeLenient, encodeStrict } from '../src/store/codec.js';
import { openStore } from '../src/store/open-store.js';
import { workSeed } from '../src/oracle/seed.js';
import type { Decision } from '../src/oracle/oracle.js';
import type { Store, StudyRecord, TrialOutcomeUpdate, TrialSummary } from '../src/store/store.js';
import type { EpochRecord } from '../src/train/types.js';
import type { TrialDiagnostics } from '../src/train/diagnostics-types.js';
import { resolveDiagnostics } from '../src/train/diagnostics-settings.js';

const { values: args } = parseArgs({
  options: {
    sizes: { type: 'string', default: '100,1000,10000' },
    rounds: { type: 'string', default: '200' },
    stores: { type: 'string', default: 'sqlite,postgres' },
    algos: { type: 'string', default: 'random,hyperband' },
    askers: { type: 'string', default: '8' },
    'asker-trials': { type: 'string', default: '40' },
    'checkpoint-kb': { type: 'string', default: '8' },
    child: { type: 'string' },
  },
});

const EPOCHS = 30;
const LAYERS = ['dense_1', 'dense_2', 'dense_3', 'logits'];
const checkpointBytes = Number(args['checkpoint-kb']) * 1024;
const space: SearchSpace = await loadSpace({ builtin: 'mlp' });

function history(rng: () => number): EpochRecord[] {
  return Array.from({ length: EPOCHS }, (_, i) => {
    const progress = (i + 1) / EPOCHS;
    return {
      epoch: i + 1,
      loss: 1.2 * (1 - progress) + rng() * 0.1,
      val_loss: 1.3 * (1 - progress) + rng() * 0.1,
      accuracy: 0.5 + 0.45 * progress + rng() * 0.02,
      val_accuracy: 0.5 + 0.4 * progress + rng() * 0.02,
      learningRate: 0.001 * (1 - 0.5 * progress),
      durationMs: 40 + rng() * 10,
    };
  });
}

function diagnostics(rng: () => number): TrialDiagnostics {
  return {
    verdict: { kind: 'healthy' },
    checks: EPOCHS * 10,
    epochs: Array.from({ length: EPOCHS }, (_, i) => ({
      epoch: i + 1,
      globalGrad: 0.5 + rng(),
      layers: LAYERS.map((layer) => ({ layer, kernelGrad: rng(), biasGrad: rng() * 0.1, weight: 3 + rng(), updateRatio: rng() * 1e-3, dead: rng() * 0.2 })),
    })),
    settings: resolveDiagnostics(),
  };
}

function outcome(rng: () => number): TrialOutcomeUpdate {
  return {
    status: 'completed',
    score: 0.6 + rng() * 0.35,
    bestEpoch: EPOCHS - Math.floor(rng() * 5),
    epochsRun: EPOCHS,
    history: history(rng),
    backend: 'wasm',
    durationMs: 1500 + Math.round(rng() * 500),
    diagnostics: diagnostics(rng),
    plannedEpochs: EPOCHS,
    checkpoint: new Uint8Array(checkpointBytes).map(() => Math.floor(rng() * 256)),
  };
}

/** The settings a search stores (tuner.ts settingsOf), for an algorithm with room for `total` trials. */
function settings(algo: string, total: number): Record<string, unknown> {
  return {
    version: 2,
    maxTrials: algo === 'random' ? total : Infinity,
    ...(algo === 'hyperband' ? { hyperband: { factor: 3, iterations: Math.ceil(total / 100) } } : {}),
    diagnostics: {},
    maxRetries: 0,
  };
}

const MAX_EPOCHS = 81; // Hyperband max-epochs 81, factor 3: 5 brackets, 143 trials per iteration

/**
 * `n` finished trials as the study's oracle would have decided them (the real oracle, run
 * against the growing history in memory), each with a full outcome.
 */
async function simulate(study: StudyRecord, n: number): Promise<TrialSummary[]> {
  const { oracle } = buildOracle(study, space);
  const summaries: TrialSummary[] = [];
  const rng = seedrandom(`fill:${study.name}`);
  const start = Date.parse('2025-01-01T00:00:00Z');
  while (summaries.length < n) {
    const decision = await oracle.next(study, summaries, []);
    if (decision.kind !== 'run') throw new Error(`the oracle said ${decision.kind} after ${summaries.length} trials`);
    const at = new Date(start + summaries.length * 2000).toISOString();
    const summary: TrialSummary = {
      studyId: study.id,
      number: summaries.length,
      status: 'completed',
      params: decision.params,
      score: 0.6 + rng() * 0.35,
      bestEpoch: EPOCHS - Math.floor(rng() * 5),
      epochsRun: EPOCHS,
      backend: 'wasm',
      startedAt: at,
      finishedAt: at,
      durationMs: 1500 + Math.round(rng() * 500),
      bestValLoss: 0.2 + rng() * 0.5,
      scoreStd: null,
      pruned: null,
      heartbeatAt: at,
      plannedEpochs: EPOCHS,
      parent: decision.parent ?? null,
      fromEpoch: decision.fromEpoch ?? null,
      toEpoch: decision.toEpoch ?? null,
      slot: decision.slot ?? null,
      owner: 'bench:1',
      attempt: 1,
      retries: 0,
      seed: workSeed(study.seed, decision.params, decision.fromEpoch, decision.toEpoch),
      hasCheckpoint: true,
      repairOf: null,
      remedies: null,
    };
    summaries.push(summary);
  }
  return summaries;
}

const COLUMNS = [
  'study_id', 'number', 'status', 'params_json', 'score', 'best_epoch', 'epochs_run', 'history_json', 'backend', 'started_at', 'finished_at', 'duration_ms',
  'heartbeat_at', 'parent', 'checkpoint', 'diagnostics_json', 'planned_epochs', 'from_epoch', 'to_epoch', 'slot_json', 'owner', 'attempt', 'retries', 'seq', 'seed',
];

/** A finished trial's row, its history, statistics and checkpoint made now (10,000 of them would not fit in memory at once). */
function row(t: TrialSummary, rng: () => number): unknown[] {
  const out = outcome(rng);
  return [
    t.studyId, t.number, t.status, encodeStrict(t.params, 'params'), t.score, t.bestEpoch, t.epochsRun, encodeLenient(out.history), t.backend, t.startedAt, t.finishedAt,
    t.durationMs, t.heartbeatAt, t.parent, Buffer.from(out.checkpoint!), encodeLenient(out.diagnostics), t.plannedEpochs, t.fromEpoch, t.toEpoch,
    t.slot ? encodeStrict(t.slot, 'slot') : null, t.owner, 1, 0, t.number + 1, t.seed,
  ];
}

interface Target {
  kind: 'sqlite' | 'postgres';
  storage: string;
  /** Writes finished trials straight into the tables (what a search would have told), and sets the study's seq. */
  fill(study: StudyRecord, trials: TrialSummary[]): Promise<void>;
  cleanup(): Promise<void>;
}

function sqliteTarget(): Target {
  const dir = mkdtempSync(join(tmpdir(), 'gradtune-bench-store-'));
  const file = join(dir, 'bench.db');
  return {
    kind: 'sqlite',
    storage: file,
    async fill(study, trials) {
      const db = new Database(file);
      const insert = db.prepare(`INSERT INTO trials (${COLUMNS.join(', ')}) VALUES (${COLUMNS.map(() => '?').join(', ')})`);
      const rng = seedrandom(`fill:${study.name}`);
      db.transaction(() => {
        for (const t of trials) insert.run(...row(t, rng));
        db.prepare('UPDATE studies SET seq = ? WHERE id = ?').run(trials.length, study.id);
      })();
      db.close();
    },
    async cleanup() {
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function postgresTarget(base: string): Promise<Target> {
  const schema = `bench_${process.pid}`;
  const admin = new pg.Client({ connectionString: base });
  await admin.connect();
  await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE; CREATE SCHEMA ${schema}`);
  await admin.end();
  const url = new URL(base);
  url.searchParams.set('options', `-c search_path=${schema}`);
  return {
    kind: 'postgres',
    storage: url.toString(),
    async fill(study, trials) {
      const client = new pg.Client({ connectionString: url.toString() });
      await client.connect();
      await client.query('BEGIN');
      const rng = seedrandom(`fill:${study.name}`);
      for (let i = 0; i < trials.length; i += 200) {
        const batch = trials.slice(i, i + 200);
        const values: unknown[] = [];
        const tuples = batch.map((t) => {
          const r = row(t, rng);
          const at = values.length;
          values.push(...r);
          return `(${r.map((_, k) => `$${at + k + 1}`).join(', ')})`;
        });
        await client.query(`INSERT INTO trials (${COLUMNS.join(', ')}) VALUES ${tuples.join(', ')}`, values);
      }
      await client.query('UPDATE studies SET seq = $1 WHERE id = $2', [trials.length, study.id]);
      await client.query('COMMIT');
      await client.query('ANALYZE trials');
      await client.end();
    },
    async cleanup() {
      const c = new pg.Client({ connectionString: base });
      await c.connect();
      await c.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      await c.end();
    },
  };
}

/** The URL with these query parameters set. */
function withParams(url: string, params: Record<string, string>): string {
  const u = new URL(url);
  for (const [k, v] of Object.entries(params)) u.searchParams.set(k, v);
  return u.toString();
}

/**
 * Milliseconds of CPU the database backend serving `application` has used so far, read
 * from /proc/<pid>/schedstat (nanoseconds): the server's share of an ask, apart from the
 * time it waited for a CPU on a loaded machine. Undefined when the server is not local.
 */
async function backendClock(url: string, application: string): Promise<(() => number) | undefined> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  const { rows } = await c.query<{ pid: number }>('SELECT pid FROM pg_stat_activity WHERE application_name = $1', [application]);
  await c.end();
  const file = `/proc/${rows[0]?.pid}/schedstat`;
  if (rows.length !== 1 || !existsSync(file)) return undefined;
  return () => Number(readFileSync(file, 'utf8').split(' ')[0]) / 1e6;
}

/** Statements sent to PostgreSQL by this process so far (every pool connection is a pg.Client). */
let statements = 0;
const query = pg.Client.prototype.query;
pg.Client.prototype.query = function (this: pg.Client, ...a: unknown[]) {
  statements++;
  return (query as (...b: unknown[]) => unknown).apply(this, a);
} as typeof query;

const median = (xs: number[]) => quantile(xs, 0.5);
function quantile(xs: number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))];
}
const ms = (x: number) => x.toFixed(x < 10 ? 2 : 1);

/** One ask (the oracle deciding, as the Tuner asks) and its tell; times in ms. */
async function askTell(store: Store, study: StudyRecord, decide: (s: StudyRecord, t: readonly TrialSummary[], q: readonly { id: number; params: Record<string, unknown> }[]) => Decision | Promise<Decision>, rng: () => number) {
  let decided = 0;
  const timed = async (s: StudyRecord, t: readonly TrialSummary[], q: readonly { id: number; params: Record<string, unknown> }[]) => {
    const d0 = performance.now();
    try {
      return await decide(s, t, q);
    } finally {
      decided += performance.now() - d0;
    }
  };
  // Made before the clock starts: what the trial reports is not the store's work.
  const out = outcome(rng);
  const t0 = performance.now();
  const asked = await store.ask(study.id, timed as never);
  const t1 = performance.now();
  if (asked.kind !== 'run') throw new Error(`expected a trial, the study said ${asked.kind}`);
  await store.tell(study.id, asked.trial.number, { ...out, attempt: asked.trial.attempt });
  const t2 = performance.now();
  return { ask: t1 - t0, tell: t2 - t1, decide: decided };
}

/** Child process: asks and tells `count` trials on one study, starting at `startAt`; prints its times. */
async function child(spec: string): Promise<void> {
  const { storage, study: name, count, startAt } = JSON.parse(spec) as { storage: string; study: string; count: number; startAt: number };
  const store = await openStore(storage);
  const study = (await store.getStudy(name))!;
  const { oracle } = buildOracle(study, space);
  const rng = seedrandom(`child:${process.pid}`);
  await store.summaries(study.id); // the cache, as a process that has been running a while holds it
  await new Promise((r) => setTimeout(r, Math.max(0, startAt - Date.now())));
  const times: number[] = [];
  const began = performance.now();
  for (let i = 0; i < count; i++) {
    const { ask, tell } = await askTell(store, study, (s, t, q) => oracle.next(s, t, q as never), rng);
    times.push(ask + tell);
  }
  const elapsed = performance.now() - began;
  await store.close();
  process.stdout.write(JSON.stringify({ times, began: Date.now() - elapsed, ended: Date.now() }) + '\n');
}

async function concurrent(target: Target, study: StudyRecord, askers: number, count: number): Promise<{ perSecond: number; median: number; p95: number }> {
  const self = fileURLToPath(import.meta.url);
  const startAt = Date.now() + 6000 + askers * 1500; // every child loaded and its cache warm before the start
  const results = await Promise.all(
    Array.from({ length: askers }, () =>
      new Promise<{ times: number[]; began: number; ended: number }>((resolve, reject) => {
        const c = spawn(process.execPath, ['--import', 'tsx', self, '--child', JSON.stringify({ storage: target.storage, study: study.name, count, startAt })], { stdio: ['ignore', 'pipe', 'inherit'] });
        let out = '';
        c.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
        c.on('exit', (code) => (code === 0 ? resolve(JSON.parse(out)) : reject(new Error(`asker exited with ${code}`))));
      }),
    ),
  );
  const began = Math.min(...results.map((r) => r.began));
  const ended = Math.max(...results.map((r) => r.ended));
  const times = results.flatMap((r) => r.times);
  return { perSecond: (times.length / (ended - began)) * 1000, median: median(times), p95: quantile(times, 0.95) };
}

async function benchStore(target: Target, algo: string, sizes: number[], rounds: number): Promise<void> {
  const setup = await openStore(target.storage);
  const studies: StudyRecord[] = [];
  for (const n of sizes) {
    const study = await setup.createStudy({
      name: `${algo}-${n}`,
      space: 'mlp',
      spaceFingerprint: 'bench',
      datasetName: 'digits',
      datasetFingerprint: 'bench',
      data: { builtin: 'digits', valSplit: 0.2, seed: 42 },
      objective: { metric: 'val_accuracy', direction: 'max' },
      algorithm: algo,
      settings: settings(algo, n + rounds + 2000),
      seed: 42,
      maxEpochs: algo === 'hyperband' ? MAX_EPOCHS : EPOCHS,
    });
    studies.push(study);
  }
  await setup.close();
  for (const study of studies) {
    const n = sizes[studies.indexOf(study)];
    const t0 = performance.now();
    const trials = await simulate(study, n);
    const t1 = performance.now();
    await target.fill(study, trials);
    process.stderr.write(`  ${target.kind} ${algo}: ${n} finished trials decided by the oracle in ${((t1 - t0) / 1000).toFixed(1)} s, written in ${((performance.now() - t1) / 1000).toFixed(1)} s\n`);
  }

  // One connection for the measurement, so that the database server's share of the work
  // is one backend process whose CPU time can be read (below).
  const measured = target.kind === 'postgres' ? withParams(target.storage, { pool_max: '1', application_name: 'gradtune-bench' }) : target.storage;
  const store = await openStore(measured);
  const rng = seedrandom('bench');
  const oracles = studies.map((s) => buildOracle(s, space).oracle);
  const decide = (i: number) => (s: StudyRecord, t: readonly TrialSummary[], q: readonly { id: number; params: Record<string, unknown> }[]) => oracles[i].next(s, t, q as never);
  // The first ask of a process reads every summary once (then only what changed).
  const first = [];
  for (const [i, study] of studies.entries()) first.push((await askTell(store, study, decide(i), rng)).ask);
  const server = target.kind === 'postgres' ? await backendClock(target.storage, 'gradtune-bench') : undefined;
  // The floor for a database server: as many bare round trips (SELECT 1) as the ask and
  // tell made, on a connection of its own, timed in alternation with them.
  const floorClient = target.kind === 'postgres' ? new pg.Client({ connectionString: target.storage }) : undefined;
  await floorClient?.connect();
  const floor: number[] = [];
  const perAsk: number[] = [];
  const times = studies.map(() => ({ ask: [] as number[], tell: [] as number[], both: [] as number[], decide: [] as number[], cpu: [] as number[], serverCpu: [] as number[] }));
  for (let r = 0; r < rounds; r++) {
    for (const [i, study] of studies.entries()) {
      const cpu0 = process.cpuUsage();
      const server0 = server?.();
      const statements0 = statements;
      const { ask, tell, decide: decided } = await askTell(store, study, decide(i), rng);
      const cpu = process.cpuUsage(cpu0);
      const made = statements - statements0;
      if (floorClient) {
        const f0 = performance.now();
        for (let k = 0; k < made; k++) await floorClient.query({ name: 'floor', text: 'SELECT $1::int AS k', values: [k] });
        floor.push(performance.now() - f0);
      }
      perAsk.push(made);
      const serverCpu = server ? server() - server0! : 0;
      times[i].serverCpu.push(serverCpu);
      times[i].cpu.push((cpu.user + cpu.system) / 1000 + serverCpu);
      times[i].decide.push(decided);
      times[i].ask.push(ask);
      times[i].tell.push(tell);
      times[i].both.push(ask + tell);
    }
  }
  await store.close();
  await floorClient?.end();
  const base = median(times[0].both);
  const baseCpu = median(times[0].cpu);
  const who = server ? 'this process + its database backend' : 'this process';
  console.log(`\n${target.kind}, ${algo} (${rounds} rounds, sizes in alternation; ms; CPU: ${who}, free of the machine's load)`);
  console.log('trials before | ask+tell median  p95 | CPU median (server) | ask median  p95 (oracle) | tell median  p95 | first ask (cold cache) | vs 100: wall  CPU');
  if (floorClient) {
    console.log(`statements per ask + tell: ${median(perAsk)} (median); that many bare round trips (SELECT 1) take ${ms(median(floor))} ms median here (p95 ${ms(quantile(floor, 0.95))})`);
  }
  for (const [i, n] of sizes.entries()) {
    const t = times[i];
    console.log(
      `${String(n).padStart(13)} | ${ms(median(t.both)).padStart(15)} ${ms(quantile(t.both, 0.95)).padStart(5)} | ${ms(median(t.cpu)).padStart(10)} ${`(${ms(median(t.serverCpu))})`.padStart(8)} | ${ms(median(t.ask)).padStart(10)} ${ms(quantile(t.ask, 0.95)).padStart(4)} ${`(${ms(median(t.decide))})`.padStart(8)} | ${ms(median(t.tell)).padStart(11)} ${ms(quantile(t.tell, 0.95)).padStart(4)} | ${ms(first[i]).padStart(22)} | ${`${(median(t.both) / base).toFixed(2)}x`.padStart(14)} ${(median(t.cpu) / baseCpu).toFixed(2)}x`,
    );
  }
  if (algo === 'random' && Number(args.askers) > 0) {
    const count = Number(args['asker-trials']);
    const middle = studies[Math.min(1, studies.length - 1)];
    const one = await concurrent(target, middle, 1, count);
    const many = await concurrent(target, middle, Number(args.askers), count);
    console.log(
      `concurrent askers on the ${sizes[Math.min(1, sizes.length - 1)]}-trial study, separate processes: 1 asker ${one.perSecond.toFixed(0)} trials/s (median ${ms(one.median)} ms); ` +
        `${args.askers} askers ${many.perSecond.toFixed(0)} trials/s together (each ask+tell median ${ms(many.median)} ms, p95 ${ms(many.p95)} ms)`,
    );
  }
}

async function main(): Promise<void> {
  if (args.child) return child(args.child);
  const stores = args.stores.split(',');
  const pgUrl = process.env.GRADTUNE_BENCH_POSTGRES_URL || process.env.GRADTUNE_TEST_POSTGRES_URL;
  const script = fileURLToPath(new URL('../scripts/with-postgres.sh', import.meta.url));
  if (stores.includes('postgres') && !pgUrl) {
    // A throw-away server of its own, loopback only, stopped when the bench ends.
    const probe = spawnSync('sh', ['-c', 'ls -d /usr/lib/postgresql/*/bin/initdb'], { encoding: 'utf8' });
    if (probe.status === 0 && existsSync(script)) {
      const rerun = spawnSync(script, [process.execPath, '--import', 'tsx', fileURLToPath(import.meta.url), ...process.argv.slice(2)], { stdio: 'inherit' });
      process.exit(rerun.status ?? 1);
    }
    console.log('PostgreSQL: no server binaries here and no GRADTUNE_BENCH_POSTGRES_URL; measuring SQLite only');
    stores.splice(stores.indexOf('postgres'), 1);
  }
  const sizes = args.sizes.split(',').map(Number);
  const rounds = Number(args.rounds);
  console.log(`store bench: ${EPOCHS}-epoch histories, gradient statistics for ${LAYERS.length} layers, ${args['checkpoint-kb']} kB checkpoints; node ${process.version}`);
  for (const kind of stores) {
    for (const algo of args.algos.split(',')) {
      const target = kind === 'sqlite' ? sqliteTarget() : await postgresTarget(pgUrl!);
      try {
        await benchStore(target, algo, sizes, rounds);
      } finally {
        await target.cleanup();
      }
    }
  }
}

await main();
