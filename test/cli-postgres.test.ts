// Several processes, one PostgreSQL study, through the CLI as users run it: a search and
// workers sharing the work, a worker killed mid-trial, the database restarted or gone for a
// while, and a password that never shows. Needs GRADTUNE_TEST_POSTGRES_URL
// (scripts/with-postgres.sh; CI always sets it).
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI, fixture, runCli, runOk, startCli, tempDir, type CliResult, type RunningCli } from './helpers/cli.js';
import { POSTGRES_URL, freshSchema, privateServer, sql, warnIfNoPostgres, type PrivateServer } from './helpers/postgres.js';

warnIfNoPostgres('test/cli-postgres.test.ts');

/** Trials of a few seconds each (tiny batches): long enough for several processes to overlap. */
const SLOW = fixture('slow-space.ts');

interface Row {
  number: number;
  status: string;
  params_json: string;
  slot_json: string | null;
  parent: number | null;
  owner: string | null;
  attempt: number;
}

async function rows(url: string, study: string): Promise<Row[]> {
  try {
    return await sql<Row>(
      url,
      `SELECT t.number, t.status, t.params_json, t.slot_json, t.parent, t.owner, t.attempt
         FROM trials t JOIN studies s ON s.id = t.study_id WHERE s.name = $1 ORDER BY t.number`,
      [study],
    );
  } catch (err) {
    // The first process has not made the tables yet.
    if ((err as { code?: string }).code === '42P01') return [];
    throw err;
  }
}

async function waitFor<T>(what: string, probe: () => Promise<T | undefined | false>, clis: RunningCli[], timeoutMs = 120_000): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    for (const cli of clis) {
      if (cli.child.exitCode !== null) throw new Error(`gradtune exited (${cli.child.exitCode}) before ${what}:\n${cli.output().stdout}\n${cli.output().stderr}`);
    }
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

const isFinished = (t: Row) => t.status !== 'running' && t.status !== 'stale';

/** Numbers 0..n-1 once each, all finished, no work twice (`key`: a configuration, or a configuration in its slot). */
function expectWhole(trials: Row[], n: number, key: (t: Row) => string): void {
  expect(trials.map((t) => t.number)).toEqual([...Array(n).keys()]);
  expect(trials.filter((t) => !isFinished(t))).toEqual([]);
  expect(new Set(trials.map(key)).size).toBe(n);
}

/** A copy of the environment without GRADTUNE_STORAGE, so --storage is what counts. */
const ENV = { GRADTUNE_STORAGE: '' };

describe.skipIf(!POSTGRES_URL)('PostgreSQL: one search and three workers on one study', () => {
  let url = '';
  let drop: () => Promise<void> = async () => {};
  beforeAll(async () => {
    ({ url, drop } = await freshSchema('cli_share'));
  });
  afterAll(async () => {
    await drop();
  });

  /** Starts the search, then three workers once the study exists; all must end with 0. */
  async function searchAndWorkers(study: string, searchArgs: string[]): Promise<{ outputs: string[] }> {
    const cwd = tempDir();
    const common = ['--storage', url, '--study', study, '--workers', '1'];
    const search = startCli(['search', '--space', SLOW, '--dataset', 'iris', ...searchArgs, ...common], { cwd, timeoutMs: 300_000, env: ENV });
    await waitFor('the study to exist', async () => (await sql(POSTGRES_URL!, `SELECT 1 FROM information_schema.tables WHERE table_schema = $1 AND table_name = 'studies'`, [new URL(url).searchParams.get('options')!.split('=')[1]])).length > 0 && (await sql(url, 'SELECT 1 FROM studies WHERE name = $1', [study])).length > 0, [search]);
    const workers = [0, 1, 2].map(() => startCli(['worker', ...common], { cwd, timeoutMs: 300_000, env: ENV }));
    const results = await Promise.all([search, ...workers].map((c) => c.done));
    for (const r of results) expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(0);
    return { outputs: results.map((r) => r.stdout + r.stderr) };
  }

  it('random search: every trial once, no configuration twice, the work shared by at least three processes', async () => {
    // Trials of a second or more (20 epochs of batch 2): the search must not finish them all
    // before the workers have joined.
    await searchAndWorkers('shared-random', ['--algo', 'random', '--max-trials', '16', '--max-epochs', '20']);
    const trials = await rows(url, 'shared-random');
    expectWhole(trials, 16, (t) => t.params_json);
    expect(new Set(trials.map((t) => t.owner)).size).toBeGreaterThanOrEqual(3);
  }, 320_000);

  it('Hyperband: every round holds exactly the trials its schedule says, each configuration once per slot, promotions within their bracket', async () => {
    const cwd = tempDir();
    // The whole schedule of --max-epochs 27 (375 epochs of batch 2): long enough that the
    // workers join before the search has run it alone (at 9, 45 epochs, it sometimes had).
    const hb = ['--algo', 'hyperband', '--max-epochs', '27', '--factor', '3'];
    const plan = JSON.parse((await runOk(['plan', ...hb, '--json'], { cwd })).stdout) as { brackets: { bracket: number; rounds: { trials: number }[] }[]; totalTrials: number };
    await searchAndWorkers('shared-hyperband', hb);
    const trials = await rows(url, 'shared-hyperband');
    expectWhole(trials, plan.totalTrials, (t) => `${t.slot_json} ${t.params_json}`);
    const slotOf = (t: Row) => JSON.parse(t.slot_json!) as { bracket: number; round: number };
    const perRound = new Map<string, number>();
    for (const t of trials) {
      const { bracket, round } = slotOf(t);
      perRound.set(`${bracket}/${round}`, (perRound.get(`${bracket}/${round}`) ?? 0) + 1);
      // A promotion continues a trial of the round before, in its own bracket, with its configuration.
      if (round > 0) {
        const parent = trials[t.parent!];
        expect(slotOf(parent)).toMatchObject({ bracket, round: round - 1 });
        expect(parent.params_json).toBe(t.params_json);
      } else {
        expect(t.parent).toBeNull();
      }
    }
    const planned = new Map(plan.brackets.flatMap((b) => b.rounds.map((r, i) => [`${b.bracket}/${i}`, r.trials] as const)));
    expect(Object.fromEntries(perRound)).toEqual(Object.fromEntries(planned));
    expect(new Set(trials.map((t) => t.owner)).size).toBeGreaterThanOrEqual(3);
  }, 320_000);
});

/** Runs a command as if on another machine (its own host name) when this one allows it (root, unshare). */
function otherMachine(): string[] | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const probe = spawnSync('unshare', ['--uts', 'sh', '-c', 'hostname gradtune-other && hostname'], { encoding: 'utf8' });
  return probe.status === 0 && probe.stdout.trim() === 'gradtune-other' ? ['unshare', '--uts', 'sh', '-c', 'hostname gradtune-other && exec "$0" "$@"'] : undefined;
}

describe.skipIf(!POSTGRES_URL)('PostgreSQL: a worker killed with SIGKILL mid-trial', () => {
  it('its trial is run again by another process and the study completes', async () => {
    const { url, drop } = await freshSchema('cli_kill');
    try {
      const cwd = tempDir();
      const study = 'killed';
      // A short grace period: a worker on another machine is judged by its heartbeat alone.
      const liveness = ['--heartbeat-interval', '1', '--stale-after', '4'];
      const common = ['--storage', url, '--study', study, '--workers', '1', ...liveness];
      // Trials of a few seconds (30 epochs of batch 2): long enough to be caught running.
      const search = startCli(['search', '--space', SLOW, '--dataset', 'iris', '--algo', 'random', '--max-trials', '8', '--max-epochs', '30', ...common], { cwd, timeoutMs: 300_000, env: ENV });
      await waitFor('the study to exist', async () => (await rows(url, study)).length > 0, [search]);
      // The worker runs as another machine when it can (then only its silence frees its
      // trial, judged on the database server's clock), else on this one (then its pid being
      // gone does).
      const prefix = otherMachine();
      const worker = prefix ? startAs(prefix, ['worker', ...common], cwd) : startCli(['worker', ...common], { cwd, timeoutMs: 300_000, env: ENV });
      const ownedBy = (owner: string | null) => owner !== null && (prefix ? owner === `gradtune-other:${worker.child.pid}` : owner.endsWith(`:${worker.child.pid}`));
      const victim = await waitFor('a trial running in the worker', async () => (await rows(url, study)).find((t) => t.status === 'running' && ownedBy(t.owner)), [search, worker]);
      worker.child.kill('SIGKILL');
      expect((await worker.done).signal).toBe('SIGKILL');
      const result = await search.done;
      expect(result.code, `${result.stdout}\n${result.stderr}`).toBe(0);
      const trials = await rows(url, study);
      expectWhole(trials, 8, (t) => t.params_json);
      const rerun = trials[victim.number];
      expect(rerun.params_json).toBe(victim.params_json);
      expect(rerun.attempt).toBeGreaterThan(victim.attempt);
      expect(rerun.owner).not.toBe(victim.owner);
      expect(result.stdout).toMatch(new RegExp(`trial ${victim.number} runs again \\(its process was lost\\)`));
      const attempts = await sql<{ number: number; attempt: number; status: string; owner: string }>(
        url,
        'SELECT a.number, a.attempt, a.status, a.owner FROM trial_attempts a JOIN studies s ON s.id = a.study_id WHERE s.name = $1',
        [study],
      );
      expect(attempts).toContainEqual({ number: victim.number, attempt: victim.attempt, status: 'stale', owner: victim.owner });
    } finally {
      await drop();
    }
  }, 320_000);
});

/** Starts the CLI as startCli does, through a command that gives it another host name. */
function startAs(prefix: string[], args: string[], cwd: string): RunningCli {
  const child = spawn(prefix[0], [...prefix.slice(1), process.execPath, CLI, ...args], {
    cwd,
    env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0', ...ENV },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const done = new Promise<CliResult>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`gradtune ${args.join(' ')} did not finish\n${stdout}\n${stderr}`));
    }, 300_000);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
  return { child, output: () => ({ stdout, stderr }), done };
}

describe.skipIf(!POSTGRES_URL)('PostgreSQL: the server restarted or gone mid-search', () => {
  // A server of this file's own: stopping the shared one would take other files' away.
  let server: PrivateServer | undefined;
  beforeAll(async () => {
    server = await privateServer();
  }, 180_000);
  afterAll(async () => {
    await server?.close();
  });

  const searchArgs = (storage: string, study: string) => [
    'search', '--space', SLOW, '--dataset', 'iris', '--algo', 'random', '--max-trials', '6', '--max-epochs', '4', '--workers', '1', '--storage', storage, '--study', study,
  ];
  const runningAndFinished = (url: string, study: string) => async () => {
    const trials = await rows(url, study);
    return trials.some(isFinished) && trials.filter((t) => t.status === 'running');
  };

  it('restarted: the search goes on by itself and completes, no trial lost', async () => {
    const cwd = tempDir();
    const search = startCli(searchArgs(server!.url, 'restarted'), { cwd, timeoutMs: 300_000, env: ENV });
    await waitFor('a finished trial and a running one', runningAndFinished(server!.url, 'restarted'), [search]);
    await server!.ctl('restart');
    const result = await search.done;
    expect(result.code, `${result.stdout}\n${result.stderr}`).toBe(0);
    expect(result.stdout).toMatch(/reached --max-trials 6/);
    expectWhole(await rows(server!.url, 'restarted'), 6, (t) => t.params_json);
  }, 320_000);

  it('gone past retry_timeout: one line and exit 2; the same command then continues, running trials re-run, none lost', async () => {
    const cwd = tempDir();
    const url = new URL(server!.url);
    url.searchParams.set('retry_timeout', '3');
    const args = searchArgs(url.toString(), 'gone');
    const search = startCli(args, { cwd, timeoutMs: 300_000, env: ENV });
    const running = await waitFor('a finished trial and a running one', runningAndFinished(server!.url, 'gone'), [search]);
    await server!.ctl('stop');
    let result: CliResult;
    try {
      result = await search.done;
    } finally {
      await server!.ctl('start');
    }
    expect(result.code, `${result.stdout}\n${result.stderr}`).toBe(2);
    const lines = result.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(
      /^gradtune: error: lost the PostgreSQL store postgresql:\/\/gradtune:\*\*\*@127\.0\.0\.1:\d+\/gradtune_test\?retry_timeout=3 and it did not come back within 3 s \(.+\); nothing is lost: run the same command again/,
    );
    const again = await runOk(args, { cwd, timeoutMs: 300_000, env: ENV });
    const trials = await rows(server!.url, 'gone');
    expectWhole(trials, 6, (t) => t.params_json);
    // A trial that was running when the database went away ran again (unless it had been told just before).
    for (const t of running) {
      const now = trials[t.number];
      expect(now.params_json).toBe(t.params_json);
      if (now.attempt === t.attempt) expect(now.owner).toBe(t.owner);
      else expect(again.stdout).toMatch(new RegExp(`trial ${t.number} runs again`));
    }
  }, 320_000);
});

/** Every file under `dir`. */
function filesUnder(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? filesUnder(path.join(dir, e.name)) : [path.join(dir, e.name)]));
}

describe.skipIf(!POSTGRES_URL)('PostgreSQL: a password in the URL', () => {
  it('appears in no output, error, stored row, report or export', async () => {
    const { url, drop } = await freshSchema('cli_secret');
    try {
      const password = decodeURIComponent(new URL(url).password);
      expect(password.length).toBeGreaterThan(8);
      const cwd = tempDir();
      const outputs: string[] = [];
      const keep = (r: CliResult) => {
        outputs.push(r.stdout, r.stderr);
        return r;
      };
      keep(await runOk(['search', '--space', 'quick', '--dataset', 'iris', '--algo', 'random', '--max-trials', '2', '--max-epochs', '2', '--workers', '1', '--storage', url, '--study', 'secret'], { cwd, env: ENV, timeoutMs: 120_000 }));
      // GRADTUNE_STORAGE sets the store of every command.
      const env = { GRADTUNE_STORAGE: url };
      keep(await runOk(['studies'], { cwd, env }));
      keep(await runOk(['best', '--study', 'secret'], { cwd, env }));
      keep(await runOk(['report', '--study', 'secret', '--format', 'json'], { cwd, env }));
      keep(await runOk(['report', '--study', 'secret', '--format', 'html', '--out', 'report.html'], { cwd, env }));
      keep(await runOk(['export', '--study', 'secret', '--out', 'models'], { cwd, env, timeoutMs: 120_000 }));
      expect(fs.existsSync(path.join(cwd, 'models'))).toBe(true);

      // Errors: an unknown study, a wrong password (which holds the right one), no server.
      const unknown = keep(await runCli(['worker', '--study', 'nope'], { cwd, env }));
      expect(unknown.code).toBe(2);
      expect(unknown.stderr).toMatch(/^gradtune: error: no study "nope" in postgresql:\/\/gradtune:\*\*\*@/);
      const wrong = new URL(url);
      wrong.password = `${password}x`;
      const refused = keep(await runCli(['studies', '--storage', wrong.toString()], { cwd }));
      expect(refused.code).toBe(2);
      expect(refused.stderr).toMatch(/^gradtune: error: the PostgreSQL server refused the login to postgresql:\/\/gradtune:\*\*\*@.*check the user and password in the URL\n$/);
      const down = new URL(url);
      down.port = '1';
      down.searchParams.set('retry_timeout', '1');
      const unreachable = keep(await runCli(['report', '--study', 'secret', '--storage', down.toString()], { cwd }));
      expect(unreachable.code).toBe(2);
      expect(unreachable.stderr).toMatch(/^gradtune: error: cannot reach the PostgreSQL store postgresql:\/\/gradtune:\*\*\*@127\.0\.0\.1:1\/.*\n$/);

      expect(outputs.join('\n')).toContain('gradtune:***@');
      for (const text of outputs) expect(text).not.toContain(password);
      const written = filesUnder(cwd);
      expect(written.some((f) => f.endsWith('model.json'))).toBe(true);
      for (const file of written) expect(fs.readFileSync(file).includes(password), file).toBe(false);
      for (const table of ['studies', 'trials', 'trial_attempts', 'queue', 'gradtune_schema']) {
        expect(JSON.stringify(await sql(url, `SELECT * FROM ${table}`))).not.toContain(password);
      }
    } finally {
      await drop();
    }
  }, 320_000);
});
