// A large CSV, loaded once and shared with the workers (issue 13, item 14). Generates a
// ~50 MB file (150,000 rows × 41 columns: 39 numeric features, one text column of 30
// cities, a 0/1 target), then measures in fresh processes, alternating the variants for
// several rounds:
//   - load: loading the dataset alone (wall time, peak RSS);
//   - search: a 2-worker search (quick space, random, 2 trials of 1 epoch): wall time and
//     peak RSS of the whole process (its worker threads included);
//   - small: the same search on the file's first 1,500 rows: the fixed overhead (Node,
//     tfjs and its wasm heaps, the store, two worker threads) that does not grow with
//     the data.
// `--before <dir>` also runs every measurement with the code of another checkout (e.g. the
// commit before this change, extracted with `git archive <commit> | tar -x -C <dir>`, with
// node_modules beside it), and prints the ratios.
//
//   npx tsx bench/large-csv.ts [--rows 150000] [--rounds 3] [--before /tmp/base] [--workers 2]
import { spawnSync } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';

const { values: args } = parseArgs({
  options: {
    rows: { type: 'string', default: '150000' },
    rounds: { type: 'string', default: '3' },
    before: { type: 'string' },
    workers: { type: 'string', default: '2' },
    only: { type: 'string' },
    // Internal: run one measurement in this process and print it as JSON.
    measure: { type: 'string' },
    root: { type: 'string' },
    data: { type: 'string' },
  },
});

const HERE = fileURLToPath(new URL('..', import.meta.url));

if (args.measure) {
  await measure(args.measure, resolve(args.root!), args.data!, Number(args.workers));
  process.exit(0);
}

/** One measurement, in this (fresh) process: prints { wallMs, maxRssMB, ... } as the last line. */
async function measure(kind: string, root: string, data: string, workers: number): Promise<void> {
  const started = performance.now();
  const extra: Record<string, number> = {};
  if (kind === 'load') {
    const mod = (await import(join(root, 'src/data/load.ts'))) as Record<string, (s: unknown) => unknown>;
    const source = { path: data, valSplit: 0.2, seed: 1 };
    const ds = (await (mod.loadDatasetAsync ?? mod.loadDataset)(source)) as { nTrain: number; nVal: number; nFeatures: number; nOutputs: number };
    extra.parsedMB = ((ds.nTrain + ds.nVal) * (ds.nFeatures + ds.nOutputs) * 4) / 2 ** 20;
    extra.features = ds.nFeatures;
  } else {
    const { Tuner } = (await import(join(root, 'src/index.ts'))) as typeof import('../src/index.js');
    const dir = mkdtempSync(join(tmpdir(), 'gradtune-large-'));
    try {
      const results = await new Tuner({ space: 'quick', data, algorithm: 'random', maxTrials: 2, maxEpochs: 1, workers, seed: 1, storage: join(dir, 's.db'), study: 'large' }).search();
      extra.completed = results.trials.filter((t) => t.status === 'completed').length;
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  const wallMs = performance.now() - started;
  // maxRSS: the process's peak resident set, worker threads included (they share it), in KiB.
  console.log(JSON.stringify({ wallMs, maxRssMB: process.resourceUsage().maxRSS / 1024, ...extra }));
}

/** The file: deterministic, ~333 bytes a row. */
async function generate(path: string, rows: number): Promise<void> {
  const out = createWriteStream(path);
  let state = 12345;
  const rand = () => ((state = (state * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  const cities = Array.from({ length: 30 }, (_, i) => `city_${String.fromCharCode(97 + (i % 26))}${i}`);
  const header = [...Array.from({ length: 39 }, (_, i) => `f${i}`), 'city', 'label'];
  out.write(header.join(',') + '\n');
  for (let r = 0; r < rows; r++) {
    const features = Array.from({ length: 39 }, (_, i) => (rand() * 10 ** (1 + (i % 4)) - 5).toFixed(3));
    const city = cities[Math.floor(rand() ** 2 * cities.length)];
    const label = Number(features[0]) + Number(features[1]) / 10 + (city < 'city_m' ? 2 : 0) + rand() * 3 > 4 ? 1 : 0;
    if (!out.write(`${features.join(',')},${city},${label}\n`)) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
}

function run(kind: string, root: string, data: string): { wallMs: number; maxRssMB: number; [k: string]: number } {
  const child = spawnSync(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url), '--measure', kind, '--root', root, '--data', data, '--workers', args.workers], {
    cwd: HERE,
    encoding: 'utf8',
    maxBuffer: 64 * 2 ** 20,
  });
  const last = child.stdout.trim().split('\n').pop() ?? '';
  if (child.status !== 0 || !last.startsWith('{')) throw new Error(`${kind} with ${root} failed (exit ${child.status}):\n${child.stderr.slice(-3000)}`);
  return JSON.parse(last);
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

const rows = Number(args.rows);
const dir = join(tmpdir(), 'gradtune-bench-large');
mkdirSync(dir, { recursive: true });
const big = join(dir, `large-${rows}.csv`);
if (!existsSync(big)) await generate(big, rows);
const small = join(dir, 'small-1500.csv');
if (!existsSync(small)) writeFileSync(small, readFileSync(big, 'utf8').split('\n').slice(0, 1501).join('\n') + '\n');
const sizeMB = readFileSync(big).byteLength / 2 ** 20;
console.log(`${big}: ${sizeMB.toFixed(1)} MB, ${rows} rows × 41 columns`);

const roots: [string, string][] = [['after', HERE]];
if (args.before) roots.unshift(['before', resolve(args.before)]);
const kinds = (args.only ?? 'load,search,small').split(',');
const figures = new Map<string, { wallMs: number; maxRssMB: number; [k: string]: number }[]>();
for (let round = 1; round <= Number(args.rounds); round++) {
  for (const kind of kinds) {
    // Alternate which variant goes first, round by round.
    const order = round % 2 ? roots : [...roots].reverse();
    for (const [name, root] of order) {
      const r = run(kind, root, kind === 'small' ? small : big);
      const key = `${kind}\t${name}`;
      figures.set(key, [...(figures.get(key) ?? []), r]);
      console.log(`round ${round} ${kind} ${name}: ${(r.wallMs / 1000).toFixed(1)} s, peak RSS ${r.maxRssMB.toFixed(0)} MB${r.parsedMB ? `, parsed arrays ${r.parsedMB.toFixed(1)} MB (${r.features} features)` : ''}${r.completed !== undefined ? `, ${r.completed} trials completed` : ''}`);
    }
  }
}

console.log('\nmedians:');
for (const kind of kinds) {
  const line = roots.map(([name]) => {
    const f = figures.get(`${kind}\t${name}`)!;
    return `${name} ${(median(f.map((x) => x.wallMs)) / 1000).toFixed(1)} s, ${median(f.map((x) => x.maxRssMB)).toFixed(0)} MB`;
  });
  let ratio = '';
  if (roots.length === 2) {
    const b = figures.get(`${kind}\tbefore`)!;
    const a = figures.get(`${kind}\tafter`)!;
    ratio = `  (after/before: wall ${(median(a.map((x) => x.wallMs)) / median(b.map((x) => x.wallMs))).toFixed(2)}x, peak RSS ${(median(a.map((x) => x.maxRssMB)) / median(b.map((x) => x.maxRssMB))).toFixed(2)}x)`;
  }
  console.log(`${kind}: ${line.join(' | ')}${ratio}`);
}
const parsed = figures.get('load\tafter')?.[0]?.parsedMB;
const searchAfter = figures.get('search\tafter');
const smallAfter = figures.get('small\tafter');
if (parsed && searchAfter && smallAfter) {
  const growth = median(searchAfter.map((x) => x.maxRssMB)) - median(smallAfter.map((x) => x.maxRssMB));
  console.log(`\nafter: parsed arrays ${parsed.toFixed(1)} MB; a search's peak RSS above the small file's (the fixed overhead): ${growth.toFixed(0)} MB = ${(growth / parsed).toFixed(2)}x the parsed arrays (target: <= 2x)`);
}
