// Where output goes: a pipe whose reader leaves early (`| head -1`) ends a report quietly
// with exit 0, never an EPIPE stack; and `--out` never replaces the store, an input of the
// same command, or (without --force) an existing file, whatever name it is given by.
import { spawn } from 'node:child_process';
import { existsSync, linkSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI, listDir, runCli, runOk, sha256 } from './helpers/cli.js';
import { tmpdir } from 'node:os';

let dir: string;
let modelDir: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'gradtune-output-'));
  await runOk(['search', '--space', 'quick', '--dataset', 'iris', '--max-trials', '6', '--workers', '2', '--seed', '5'], { cwd: dir, timeoutMs: 90_000 });
  const exported = await runOk(['export', '--study', 'quick-iris', '--out', 'models'], { cwd: dir, timeoutMs: 90_000 });
  modelDir = join('models', /-> models\/(trial-\d+)\//.exec(exported.stdout)![1]);
  // Rows to predict: iris's features, many times over, so the predictions outgrow a pipe's buffer.
  const iris = readFileSync(new URL('../datasets/iris.csv', import.meta.url), 'utf8').trim().split('\n');
  const features = iris.map((line) => line.split(',').slice(0, 4).join(','));
  writeFileSync(join(dir, 'many.csv'), [features[0], ...Array.from({ length: 20 }, () => features.slice(1)).flat()].join('\n') + '\n');
}, 200_000);

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

interface PipeResult {
  /** gradtune's exit code ($PIPESTATUS[0]). */
  code: number;
  /** What `head` let through. */
  head: string;
  stderr: string;
  /** What the command writes when nobody closes the pipe early. */
  whole: string;
}

/** `gradtune <args> | head -<lines>` in bash, as a user types it; also the command's whole output, to check the pipe did fill. */
async function pipeToHead(args: readonly string[], lines: number, cwd = dir): Promise<PipeResult> {
  const quoted = args.map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
  const work = mkdtempSync(join(tmpdir(), 'gradtune-pipe-'));
  const script = `"${process.execPath}" "${CLI}" ${quoted} 2>"${work}/stderr.txt" | head -${lines} > "${work}/head.txt"; echo "\${PIPESTATUS[0]}" > "${work}/code.txt"`;
  await new Promise<void>((resolve, reject) => {
    const child = spawn('bash', ['-c', script], { cwd, stdio: 'ignore', env: { ...process.env, NO_COLOR: '1' } });
    child.on('error', reject);
    child.on('close', () => resolve());
  });
  const read = (name: string) => readFileSync(join(work, name), 'utf8');
  const result = { code: Number(read('code.txt').trim()), head: read('head.txt'), stderr: read('stderr.txt') };
  rmSync(work, { recursive: true, force: true });
  const whole = await runCli(args, { cwd, timeoutMs: 90_000 });
  return { ...result, whole: whole.stdout };
}

describe('a reader that leaves early (| head -1)', () => {
  const PIPE_BUFFER = 64 * 1024;
  const reports: Array<[string, string[]]> = [
    ['report --format json', ['report', '--study', 'quick-iris', '--format', 'json']],
    ['predict', ['predict', '--model', 'MODEL', '--data', 'many.csv']],
  ];
  it.each(reports)('%s: exit 0, the first line, nothing on stderr', async (_name, args) => {
    const r = await pipeToHead(args.map((a) => (a === 'MODEL' ? modelDir : a)), 1);
    // The output must outgrow the pipe, or the test could not fail: the writer would finish before head left.
    expect(r.whole.length).toBeGreaterThan(PIPE_BUFFER);
    expect(r).toMatchObject({ code: 0, stderr: '' });
    expect(r.head).toBe(r.whole.split('\n')[0] + '\n');
  }, 120_000);

  it.each([
    ['report (table)', ['report', '--study', 'quick-iris']],
    ['report --format csv', ['report', '--study', 'quick-iris', '--format', 'csv']],
    ['report --trial --format json', ['report', '--study', 'quick-iris', '--trial', '0', '--format', 'json']],
    ['best', ['best', '--study', 'quick-iris']],
    ['studies', ['studies']],
  ])('%s: exit 0, nothing on stderr', async (_name, args) => {
    const r = await pipeToHead(args, 1);
    expect(r).toMatchObject({ code: 0, stderr: '' });
    expect(r.head).toBe(r.whole.split('\n')[0] + '\n');
  }, 60_000);

  it('a full disk is one line and exit 2, not a stack', async () => {
    if (!existsSync('/dev/full')) return;
    const r = await new Promise<{ code: number | null; stderr: string }>((resolve) => {
      const child = spawn('bash', ['-c', `"${process.execPath}" "${CLI}" report --study quick-iris --format json > /dev/full`], { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
      let stderr = '';
      child.stderr.on('data', (d) => (stderr += d));
      child.on('close', (code) => resolve({ code, stderr }));
    });
    expect(r.code).toBe(2);
    expect(r.stderr).toBe('gradtune: error: could not write to stdout (ENOSPC: no space left on device); free space or redirect stdout elsewhere\n');
  }, 60_000);
});

describe('--out: never the store, never an input, an existing file only with --force', () => {
  /** A fresh directory holding a copy of the store, the export and the CSV, for commands that must refuse. */
  function scratch(): string {
    const here = mkdtempSync(join(dir, 'out-'));
    writeFileSync(join(here, 'gradtune.db'), readFileSync(join(dir, 'gradtune.db')));
    writeFileSync(join(here, 'in.csv'), readFileSync(join(dir, 'many.csv')));
    return here;
  }

  it.each([
    ['the store', ['--out', 'gradtune.db'], 'is the study store'],
    ['the store, as ./', ['--out', './gradtune.db'], 'is the study store'],
    ['the store, through ..', ['--out', 'sub/../gradtune.db'], 'is the study store'],
    ['the store, through a symlink', ['--out', 'link.db'], 'is the study store (gradtune.db)'],
    ['the store, through a hard link', ['--out', 'hard.db'], 'is the study store (gradtune.db)'],
    ['the store, with --force', ['--out', 'gradtune.db', '--force'], 'is the study store'],
    ["the store's WAL file", ['--out', 'gradtune.db-wal', '--force'], "is the study store's wal file"],
    ['an existing file without --force', ['--out', 'old.txt'], '--out old.txt already exists; pass --force to replace it'],
  ])('report refuses %s: one line, exit 2, nothing changed', async (_name, flags, message) => {
    const here = scratch();
    mkdirSync(join(here, 'sub'));
    symlinkSync('gradtune.db', join(here, 'link.db'));
    linkSync(join(here, 'gradtune.db'), join(here, 'hard.db'));
    writeFileSync(join(here, 'old.txt'), 'keep me');
    const before = listDir(here);
    const hash = sha256(join(here, 'gradtune.db'));
    for (const format of ['csv', 'html']) {
      const r = await runCli(['report', '--study', 'quick-iris', '--format', format, ...flags], { cwd: here });
      expect({ code: r.code, stdout: r.stdout }).toEqual({ code: 2, stdout: '' });
      expect(r.stderr).toMatch(/^gradtune: error: [^\n]+\n$/);
      expect(r.stderr).toContain(message);
    }
    expect(sha256(join(here, 'gradtune.db'))).toBe(hash);
    expect(readFileSync(join(here, 'old.txt'), 'utf8')).toBe('keep me');
    expect(listDir(here)).toEqual(before);
  }, 60_000);

  it('report --force replaces an existing file, atomically (no temporary file left)', async () => {
    const here = scratch();
    writeFileSync(join(here, 'old.csv'), 'old');
    await runOk(['report', '--study', 'quick-iris', '--format', 'csv', '--out', 'old.csv', '--force'], { cwd: here });
    expect(readFileSync(join(here, 'old.csv'), 'utf8')).toMatch(/^rank,trial,status,val_accuracy,/);
    expect(readdirSync(here).filter((f) => f.includes('.tmp'))).toEqual([]);
  });

  it('predict refuses its --data file and the files of its --model, --force or not', async () => {
    const here = scratch();
    const model = join(dir, modelDir);
    const modelFiles = readdirSync(model);
    const hashes = modelFiles.map((f) => sha256(join(model, f)));
    const input = sha256(join(here, 'in.csv'));
    const cases: Array<[string[], string]> = [
      [['--out', 'in.csv'], '--out in.csv is the --data file'],
      [['--out', './in.csv', '--force'], 'is the --data file (in.csv)'],
      [['--out', join(model, 'model.json'), '--force'], 'is a file of the --model export (model.json)'],
      [['--out', join(model, 'preprocessing.json'), '--force'], 'is a file of the --model export (preprocessing.json)'],
    ];
    for (const [flags, message] of cases) {
      const r = await runCli(['predict', '--model', model, '--data', 'in.csv', ...flags], { cwd: here });
      expect({ code: r.code, stdout: r.stdout, flags }).toEqual({ code: 2, stdout: '', flags });
      expect(r.stderr).toMatch(/^gradtune: error: [^\n]+\n$/);
      expect(r.stderr).toContain(message);
    }
    expect(sha256(join(here, 'in.csv'))).toBe(input);
    expect(modelFiles.map((f) => sha256(join(model, f)))).toEqual(hashes);
    // An existing predictions file: refused without --force, replaced with it.
    writeFileSync(join(here, 'p.csv'), 'old');
    const refused = await runCli(['predict', '--model', model, '--data', 'in.csv', '--out', 'p.csv'], { cwd: here });
    expect(refused.code).toBe(2);
    expect(readFileSync(join(here, 'p.csv'), 'utf8')).toBe('old');
    await runOk(['predict', '--model', model, '--data', 'in.csv', '--out', 'p.csv', '--force'], { cwd: here, timeoutMs: 60_000 });
    // A header and one prediction per row of in.csv.
    expect(readFileSync(join(here, 'p.csv'), 'utf8').trim().split('\n')).toHaveLength(readFileSync(join(here, 'in.csv'), 'utf8').trim().split('\n').length);
  }, 120_000);
});
