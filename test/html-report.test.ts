// The HTML report without a browser: escaping, the importance ranking, the data the page
// draws, the header, the document itself, and `gradtune report --format html` through the
// command line. test/html-report-browser.test.ts opens the page in Chromium.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadDataset } from '../src/data/load.js';
import { buildReportData, chiSquare } from '../src/report/html/build-report-data.js';
import { describeStudyDataset } from '../src/report/html/dataset.js';
import { escapeHtml, inlineScript, jsonForScript } from '../src/report/html/escape.js';
import { valueGroups } from '../src/report/html/groups.js';
import { formatDuration, headerFacts } from '../src/report/html/header.js';
import { epsilonSquared, parameterImportance, spearman, type ImportanceSample } from '../src/report/html/importance.js';
import { formatHtmlReport } from '../src/report/html/report.js';
import type { StudyRecord, TrialRecord } from '../src/store/store.js';
import { DEFAULT_DIAGNOSTICS } from '../src/train/diagnostics-settings.js';
import type { TrialDiagnostics } from '../src/train/diagnostics-types.js';
import type { EpochRecord } from '../src/train/types.js';
import { checkOutPath, writeOutFile } from '../src/cli/out-file.js';
import { saveStudy, syntheticStudy } from './fixtures/html-study.js';
import { listDir, runCli, runOk, tempDir } from './helpers/cli.js';
import { expectGradtuneError } from './helpers/errors.js';
import { makeStudy, makeTrial } from './helpers/records.js';
import type { HyperbandSlot } from '../src/oracle/oracle.js';

const HOSTILE = `<script>window.__pwned=1</script>"'&`;

function epochs(values: Array<[number, number]>): EpochRecord[] {
  return values.map(([loss, acc], i) => ({ epoch: i + 1, loss, val_loss: loss * 1.1, accuracy: acc, val_accuracy: acc - 0.01, learningRate: 0.01 }));
}

function diagnostics(kinds: TrialDiagnostics['verdict'], grads: number[][], partialLast = false): TrialDiagnostics {
  return {
    verdict: kinds,
    checks: grads.length * 4,
    epochs: grads.map((g, i) => ({
      epoch: i + 1,
      globalGrad: Math.hypot(...g),
      layers: g.map((kernelGrad, l) => ({ layer: l === g.length - 1 ? 'logits' : `dense_${l + 1}`, kernelGrad, biasGrad: null, weight: 1, updateRatio: 0.01 * kernelGrad })),
      ...(partialLast && i === grads.length - 1 ? { partial: true } : {}),
    })),
    settings: { ...DEFAULT_DIAGNOSTICS, vanishingFloor: 1e-8 },
  };
}

/** Completed, rejected (both kinds), failed and running trials, with histories and gradients. */
function mixedTrials(): TrialRecord[] {
  const t = (n: number, params: TrialRecord['params'], status: TrialRecord['status'], over: Partial<TrialRecord> = {}) =>
    makeTrial(n, params, status, {
      backend: 'wasm',
      startedAt: `2024-01-01T00:00:${String(n * 5).padStart(2, '0')}.000Z`,
      finishedAt: status === 'running' ? null : `2024-01-01T00:00:${String(n * 5 + 4).padStart(2, '0')}.000Z`,
      durationMs: status === 'running' ? null : 4000,
      ...over,
    });
  return [
    t(0, { activation: 'relu', lr: 0.01 }, 'completed', { score: 0.9, bestEpoch: 2, epochsRun: 2, history: epochs([[1.2, 0.6], [0.5, 0.91]]), diagnostics: diagnostics({ kind: 'healthy' }, [[0.1, 0.3], [0.05, 0.2]]), plannedEpochs: 10 }),
    t(1, { activation: 'sigmoid', lr: 0.5 }, 'rejected', {
      score: null,
      epochsRun: 1,
      history: epochs([[2.3, 0.1]]),
      diagnostics: diagnostics({ kind: 'vanishing', evidence: { statistic: 'kernel gradient norm', layer: 'dense_1', value: 1e-11, threshold: 1e-8, epoch: 1, step: 31, preflight: true } }, [[1e-11, 0.2]], true),
      plannedEpochs: 10,
    }),
    t(2, { activation: 'relu', lr: 0.001 }, 'completed', { score: 0.95, bestEpoch: 3, epochsRun: 3, history: epochs([[1, 0.7], [0.4, 0.9], [0.3, 0.951234567]]), plannedEpochs: 10 }),
    t(3, { activation: 'tanh', lr: 0.5 }, 'rejected', {
      score: 0.3,
      epochsRun: 2,
      history: [...epochs([[2, 0.3]]), { epoch: 2, loss: Number.NaN, val_loss: Number.POSITIVE_INFINITY, accuracy: 0.3, val_accuracy: 0.3, learningRate: 0.5 }],
      diagnostics: diagnostics({ kind: 'exploding', evidence: { statistic: 'loss', layer: null, value: Number.NaN, threshold: null, epoch: 2, step: 3, preflight: false } }, [[5, 50], [5e5, 5e6]]),
      plannedEpochs: 10,
    }),
    t(4, { activation: 'sigmoid', lr: 0.01 }, 'failed', { error: `Error: ${HOSTILE}\n    at build (space.ts:1:1)` }),
    t(5, { activation: 'tanh', lr: 0.05 }, 'completed', { score: 0.8, bestEpoch: 1, epochsRun: 1, history: epochs([[0.9, 0.8]]), plannedEpochs: 10 }),
    t(6, { activation: 'relu', lr: 0.02 }, 'running', { epochsRun: 0 }),
  ];
}

const STUDY = makeStudy({ name: 'mixed', settings: { maxTrials: 'Infinity', diagnostics: { ...DEFAULT_DIAGNOSTICS } }, maxEpochs: 10 });

describe('escaping', () => {
  it('escapeHtml escapes the five characters that can end text or an attribute', () => {
    expect(escapeHtml(HOSTILE)).toBe('&lt;script&gt;window.__pwned=1&lt;/script&gt;&quot;&#39;&amp;');
  });

  it('jsonForScript writes no < > & U+2028 U+2029, and JSON.parse reads the value back (non-finite numbers as strings)', () => {
    const value = { [HOSTILE]: [`</script><!--${HOSTILE}`, '\u2028\u2029'], nan: Number.NaN, inf: [Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY], n: 0.1 };
    const out = jsonForScript(value);
    expect(out).not.toMatch(/[<>&\u2028\u2029]/);
    expect(JSON.parse(out)).toEqual({ [HOSTILE]: [`</script><!--${HOSTILE}`, '\u2028\u2029'], nan: 'NaN', inf: ['Infinity', '-Infinity'], n: 0.1 });
  });

  it('inlineScript breaks every </script in inlined code, whatever its case', () => {
    expect(inlineScript('a="</script>";b="</SCRIPT >"')).toBe('a="<\\/script>";b="<\\/SCRIPT >"');
  });
});

describe('parameter importance', () => {
  it('epsilon-squared matches a hand computation: SSB 13.5, MSW 1, SST 17.5', () => {
    const r = epsilonSquared(['a', 'a', 'a', 'b', 'b', 'b'], [1, 2, 3, 4, 5, 6]);
    expect(r.value).toBeCloseTo(12.5 / 17.5, 12);
    expect(r.groups).toBe(2);
  });

  it('is 1 for a parameter that decides the score and 0 for one whose groups have equal means', () => {
    const samples = [
      { params: { act: 'relu', bs: 16 }, score: 1 },
      { params: { act: 'relu', bs: 32 }, score: 1 },
      { params: { act: 'tanh', bs: 32 }, score: 0 },
      { params: { act: 'tanh', bs: 16 }, score: 0 },
    ];
    const result = parameterImportance(samples);
    expect(result.map((r) => [r.name, r.importance])).toEqual([['act', 1], ['bs', 0]]);
  });

  it('cannot estimate with one group per trial, or one value, and says why; those rank last', () => {
    const samples = [0.1, 0.1, 0.3, 0.3].map((lr, i) => ({ params: { id: `run-${i}`, fixed: 'x', lr }, score: lr * 10 + i / 10 }));
    const result = parameterImportance(samples);
    expect(result.map((r) => r.name)).toEqual(['lr', 'fixed', 'id']);
    expect(result.find((r) => r.name === 'id')).toMatchObject({ importance: null, groups: 4, note: 'too few completed trials (4) for 4 groups' });
    expect(result.find((r) => r.name === 'fixed')).toMatchObject({ importance: null, note: 'one value in the completed trials' });
  });

  it('bins a many-valued number into 5 equal-count groups and ranks it above noise, with its Spearman sign', () => {
    // Score rises with lr; `seed` is noise with as many values as lr (a fixed shuffle of 0..39).
    const noise = [31, 7, 13, 21, 8, 10, 36, 38, 1, 18, 30, 35, 15, 29, 5, 12, 16, 2, 26, 20, 34, 39, 23, 37, 25, 3, 19, 11, 14, 0, 33, 32, 4, 6, 22, 24, 28, 27, 9, 17];
    const samples = noise.map((seed, i) => ({ params: { lr: 10 ** (-4 + i / 13), seed }, score: i / 40 + ((i * 31) % 7) / 100 }));
    const [first, second] = parameterImportance(samples);
    expect(first).toMatchObject({ name: 'lr', groups: 5 });
    expect(first.importance!).toBeGreaterThan(0.8);
    expect(first.spearman!).toBeGreaterThan(0.95);
    expect(second.name).toBe('seed');
    expect(second.importance!).toBeLessThan(0.1);
    expect(Math.abs(second.spearman!)).toBeLessThan(0.2);
  });

  it('a conditional parameter that is absent is a group of its own', () => {
    const samples: ImportanceSample[] = [
      { params: { layers: 1 }, score: 0.5 },
      { params: { layers: 1 }, score: 0.52 },
      { params: { layers: 2, units_2: 32 }, score: 0.9 },
      { params: { layers: 2, units_2: 32 }, score: 0.91 },
    ];
    const units = parameterImportance(samples).find((r) => r.name === 'units_2')!;
    expect(units.groups).toBe(2);
    expect(units.importance!).toBeGreaterThan(0.9);
  });

  it("Spearman's rho: ±1 for monotone data, ties averaged, null below 3 points or for a constant", () => {
    expect(spearman([1, 2, 3, 4], [10, 20, 30, 45])).toBeCloseTo(1, 12);
    expect(spearman([1, 2, 3, 4], [4, 3, 2, 1])).toBeCloseTo(-1, 12);
    // Ranks [1.5, 1.5, 3] against [1, 2, 3]: Pearson of the ranks is sqrt(3)/2.
    expect(spearman([5, 5, 9], [1, 2, 3])).toBeCloseTo(Math.sqrt(3) / 2, 12);
    expect(spearman([1, 2], [1, 2])).toBeNull();
    expect(spearman([1, 1, 1], [1, 2, 3])).toBeNull();
  });

  it('value groups: values in order (numbers, false/true, words), ranges for bins, absent last', () => {
    expect(valueGroups(['tanh', 'relu', undefined, 'relu'], 5).map((g) => [g.label, g.order])).toEqual([
      ['tanh', 1],
      ['relu', 0],
      ['(absent)', Number.MAX_SAFE_INTEGER],
      ['relu', 0],
    ]);
    expect(valueGroups([true, false], 5).map((g) => g.order)).toEqual([1, 0]);
    const lr = [1e-4, 2e-4, 3e-4, 4e-4, 1e-3, 2e-3];
    expect(valueGroups(lr, 2).map((g) => g.label)).toEqual(['1e-4–3e-4', '1e-4–3e-4', '1e-4–3e-4', '4e-4–2e-3', '4e-4–2e-3', '4e-4–2e-3']);
  });
});

describe('buildReportData', () => {
  const data = buildReportData(STUDY, mixedTrials());

  it('lists trials in leaderboard order with ranks, the best and the top three', () => {
    expect(data.trials.map((t) => [t.n, t.rank])).toEqual([[2, 1], [0, 2], [5, 3], [1, null], [3, null], [6, null], [4, null]]);
    expect(data.best).toBe(2);
    expect(data.top).toEqual([2, 0, 5]);
    expect(data.params.map((p) => p.name)).toEqual(['activation', 'lr']);
    expect(data.params.find((p) => p.name === 'lr')).toEqual({ name: 'lr', numeric: true, log: true });
    // The leaderboard's text of a value only where it is not String(value).
    expect(data.trials.find((t) => t.n === 4)!.paramText).toEqual({});
    expect(data.trials.find((t) => t.n === 2)!.paramText).toEqual({ lr: '1e-3' });
  });

  it('keeps histories as columns at 4 significant digits, NaN and Infinity included', () => {
    expect(data.trials.find((t) => t.n === 2)!.history!.values.val_accuracy).toEqual([0.69, 0.89, 0.9412]);
    expect(Object.keys(data.trials.find((t) => t.n === 2)!.history!.values)).toEqual(['loss', 'val_loss', 'accuracy', 'val_accuracy']);
    const exploded = data.trials.find((t) => t.n === 3)!.history!;
    expect(exploded.epoch).toEqual([1, 2]);
    expect(exploded.values.loss).toEqual([2, Number.NaN]);
    expect(exploded.values.val_loss).toEqual([2.2, Number.POSITIVE_INFINITY]);
    expect(data.metric).toEqual({ train: 'accuracy', val: 'val_accuracy' });
  });

  it('gradients per layer per epoch with the thresholds the trial was judged by', () => {
    const g = data.trials.find((t) => t.n === 1)!.gradients!;
    expect(g).toMatchObject({ epoch: [1], layers: ['dense_1', 'logits'], kernel: [[1e-11], [0.2]], partial: [1], vanishingFloor: 1e-8, explodingCeiling: 1e4, verdictEpoch: 1 });
    expect(data.trials.find((t) => t.n === 4)!.gradients).toBeNull();
  });

  it('rejections by reason and by value, over finished trials only', () => {
    expect(data.rejections).toMatchObject({ finished: 6, rejected: 2, byReason: [{ reason: 'exploding: loss', count: 1 }, { reason: 'vanishing: kernel gradient norm', count: 1 }] });
    expect(data.rejections.byParam.find((p) => p.name === 'activation')!.values).toEqual([
      { label: 'relu', trials: 2, rejected: 0 },
      { label: 'sigmoid', trials: 2, rejected: 1 },
      { label: 'tanh', trials: 2, rejected: 1 },
    ]);
    // lr = 0.5 was rejected both times and no other lr ever: lr explains the rejections
    // better than activation (chi-square 6 against 1.5, worked out by hand).
    expect(data.rejections.byParam.map((p) => [p.name, p.chiSquare])).toEqual([['lr', expect.closeTo(6, 12)], ['activation', expect.closeTo(1.5, 12)]]);
  });

  it("chi-square weighs values by their trials: a lone rejected trial does not outrank 8 rejections in 10", () => {
    expect(chiSquare([{ trials: 10, rejected: 8 }, { trials: 10, rejected: 2 }])).toBeCloseTo(7.2, 12);
    expect(chiSquare([{ trials: 10, rejected: 5 }, { trials: 4, rejected: 2 }])).toBe(0);
    expect(chiSquare([{ trials: 1, rejected: 1 }, { trials: 19, rejected: 9 }])).toBeLessThan(1.2);
    expect(chiSquare([{ trials: 3, rejected: 0 }, { trials: 3, rejected: 0 }])).toBe(0);
  });

  it('importance from the completed trials; no Hyperband view for random search', () => {
    expect(data.importance.samples).toBe(3);
    expect(data.importance.dedupedByConfiguration).toBe(false);
    expect(data.importance.items.map((i) => i.name).sort()).toEqual(['activation', 'lr']);
    expect(data.hyperband).toBeNull();
  });

  it('ranks by the direction of the objective', () => {
    const min = buildReportData({ ...STUDY, objective: { metric: 'val_loss', direction: 'min' } }, mixedTrials());
    expect(min.best).toBe(5);
  });

  it('Hyperband: rounds as planned and run, promotions, one importance sample per configuration', () => {
    const { study, trials } = syntheticStudy({ trials: 30, algorithm: 'hyperband', maxEpochs: 9 });
    const hb = buildReportData(study, trials);
    // --max-epochs 9 --factor 3: brackets 2, 1, 0 of 9+3+1, 5+2 and 3 trials, 23 per
    // iteration; the 30 trials reach 7 into the second iteration.
    expect(hb.hyperband!.brackets.map((b) => [b.iteration, b.bracket, b.rounds.map((r) => `${r.fromEpoch}→${r.toEpoch}:${r.trials.length}/${r.planned}`).join(' ')])).toEqual([
      [0, 2, '0→1:9/9 1→3:3/3 3→9:1/1'],
      [0, 1, '0→3:5/5 3→9:2/2'],
      [0, 0, '0→9:3/3'],
      [1, 2, '0→1:7/9 1→3:0/3 3→9:0/1'],
    ]);
    expect(hb.hyperband!.notStarted).toBe(2);
    const round0 = hb.hyperband!.brackets[0].rounds[0];
    const promotedTo = trials.filter((t) => { const s = t.slot as HyperbandSlot | null; return s?.round === 1 && s.iteration === 0 && s.bracket === 2; }).map((t) => t.parent);
    expect(round0.promoted).toEqual(promotedTo.sort((a, b) => a! - b!));
    const chains = new Set(trials.filter((t) => t.parent === null && t.status === 'completed').map((t) => t.number)).size;
    expect(hb.importance.samples).toBe(chains);
    expect(hb.importance.dedupedByConfiguration).toBe(true);
  });
});

describe('header', () => {
  it('formats durations in s, min s, h min', () => {
    expect([formatDuration(4_250), formatDuration(192_400), formatDuration(3_725_000)]).toEqual(['4.3 s', '3 min 12 s', '1 h 2 min']);
  });

  it('says what the study is and what it cost, from the store alone', () => {
    const facts = headerFacts(STUDY, mixedTrials(), { text: 'iris (validation split 0.2)', note: 'not read' });
    const row = (label: string) => facts.rows.find((r) => r.label === label);
    expect(row('dataset')).toEqual({ label: 'dataset', value: 'iris (validation split 0.2)', note: 'not read' });
    expect(row('best')!.value).toBe('trial 2: val_accuracy 0.9500');
    expect(row('algorithm')!.value).toBe('random; max epochs 10; max trials no cap');
    expect(row('gradient monitor')!.value).toMatch(/^checks every 10 steps, preflight 40 steps, rejecting; vanishing floor 1e-7/);
    expect(row('backend')!.value).toBe('wasm (7 trials)');
    // Rejected: trial 1 planned 10, ran 1 (9 saved); trial 3 ran 2 (8 saved). 9 epochs trained in all.
    expect(row('epochs')!.value).toBe('9 trained; rejection saved 17 of 26 epochs (65%)');
    // First start 00:00:00, last end 00:00:29 (trial 5); six finished trials of 4 s.
    expect(row('wall time')!.value).toBe("29.0 s from the first trial's start to the last trial's end; trials took 24.0 s in all");
    expect(facts.counts).toEqual([
      { status: 'completed', count: 3 },
      { status: 'rejected', count: 2 },
      { status: 'running', count: 1 },
      { status: 'failed', count: 1 },
    ]);
  });

  it("describes the dataset from the data, only when it is still the study's data", () => {
    const data = { builtin: 'iris', valSplit: 0.2, seed: 42 };
    const fingerprint = loadDataset(data).fingerprint;
    expect(describeStudyDataset(makeStudy({ data, datasetFingerprint: fingerprint }))).toEqual({ text: 'iris: 150 rows, 4 features, classification (3 classes), 120 train / 30 val (validation split 0.2)' });
    expect(describeStudyDataset(makeStudy({ data, datasetFingerprint: 'other' }))).toEqual({ text: 'iris (validation split 0.2)', note: 'the data has changed since the study ran, so its size is not shown' });
    const missing = describeStudyDataset(makeStudy({ datasetName: 'gone.csv', data: { path: '/nonexistent/gone.csv', target: 'y', valSplit: 0.2, seed: 1 } }));
    expect(missing.text).toBe('gone.csv (target y, validation split 0.2)');
    expect(missing.note).toMatch(/^the data could not be read from here \(.*gone\.csv.*\), so its size is not shown$/);
  });
});

/** Asserts that `text` is (or is not) in the report: a failure names the text, not a megabyte of HTML. */
function expectIn(html: string, text: string, present = true): void {
  expect(html.includes(text), `${present ? 'missing' : 'unexpected'}: ${text}`).toBe(present);
}

/** The text of every inline script, in order. */
function scripts(html: string): Array<{ attrs: string; body: string }> {
  return [...html.matchAll(/<script([^>]*)>([\s\S]*?)<\/script>/g)].map((m) => ({ attrs: m[1], body: m[2] }));
}

describe('formatHtmlReport', () => {
  const dataset = { text: 'iris' };

  it('one self-contained document: data, ECharts and the page script inlined, nothing fetched', () => {
    const html = formatHtmlReport(STUDY, mixedTrials(), { dataset, now: new Date('2024-02-03T04:05:06Z') });
    expect(html.slice(0, 15)).toBe('<!doctype html>');
    const found = scripts(html);
    expect(found.map((s) => s.attrs)).toEqual([' type="application/json" id="report-data"', '', '']);
    expectIn(found[1].body, 'Apache Software Foundation');
    expectIn(found[2].body, 'gradtuneReport');
    // Outside the scripts, no attribute loads anything: no src, no link, no href but the
    // page's own #anchors. (Matched, not printed: a failure must not dump a megabyte.)
    const markup = html.replace(/<script([^>]*)>[\s\S]*?<\/script>/g, '<script$1></script>');
    expect(/\ssrc=|<link\b|<iframe\b|<img\b|url\(/.exec(markup)?.[0]).toBeUndefined();
    expect([...markup.matchAll(/\shref="([^"]*)"/g)].map((m) => m[1]).filter((h) => !h.startsWith('#'))).toEqual([]);
    // The embedded data is exactly what buildReportData made.
    expect(JSON.parse(found[0].body)).toEqual(JSON.parse(jsonForScript(buildReportData(STUDY, mixedTrials()))));
    expectIn(html, 'generated 2024-02-03 04:05:06 UTC');
  });

  it('its Content-Security-Policy runs only the inlined scripts (by hash) and fetches nothing', () => {
    const html = formatHtmlReport(STUDY, mixedTrials(), { dataset });
    const csp = /<meta http-equiv="Content-Security-Policy" content="([^"]*)">/.exec(html)![1].replace(/&#39;/g, "'");
    const hashes = scripts(html)
      .filter((s) => s.attrs === '')
      .map((s) => `'sha256-${createHash('sha256').update(s.body, 'utf8').digest('base64')}'`);
    expect(csp).toBe(`default-src 'none'; script-src ${hashes.join(' ')}; style-src 'unsafe-inline'; img-src data: blob:; base-uri 'none'; form-action 'none'`);
  });

  it('escapes every string users wrote: no markup of theirs survives', () => {
    const study = makeStudy({ name: `s${HOSTILE}`, space: `./${HOSTILE}.ts`, algorithm: 'random' });
    const trials = [makeTrial(0, { [`p${HOSTILE}`]: HOSTILE }, 'failed', { error: HOSTILE }), makeTrial(1, { [`p${HOSTILE}`]: 'x' }, 'completed', { score: 0.5 })];
    const html = formatHtmlReport(study, trials, { dataset: { text: HOSTILE, note: HOSTILE } });
    expectIn(html, '<script>window.__pwned', false);
    expectIn(html, `"'&`, false);
    expectIn(html, 'Study <span id="study-name">s&lt;script&gt;window.__pwned=1&lt;/script&gt;&quot;&#39;&amp;</span>');
    expectIn(html, '<dd>./&lt;script&gt;');
  });

  it('a study without completed trials says so; one without trials too', () => {
    const failedOnly = formatHtmlReport(STUDY, mixedTrials().filter((t) => t.status !== 'completed'), { dataset });
    expectIn(failedOnly, '<b>No completed trials yet.</b> 4 trials, none completed with a score');
    expectIn(failedOnly, 'No completed trials yet: the effects of hyperparameters are computed from completed trials.');
    const none = formatHtmlReport(STUDY, [], { dataset });
    expectIn(none, 'The study has no trials: run <code>gradtune search</code> for it first.');
    expectIn(none, 'id="chart-history"', false);
  });

  it('has a Hyperband section only for Hyperband studies', () => {
    expectIn(formatHtmlReport(STUDY, mixedTrials(), { dataset }), 'id="hyperband"', false);
    const { study, trials } = syntheticStudy({ trials: 20, algorithm: 'hyperband', maxEpochs: 9 });
    expectIn(formatHtmlReport(study, trials, { dataset }), '<section class="card" id="hyperband">');
  });
});

describe('--out', () => {
  it('refuses a directory, a missing directory and a file as directory before any work', () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'file'), '');
    expectGradtuneError(() => checkOutPath(dir), `--out ${dir} is a directory`);
    expectGradtuneError(() => checkOutPath(join(dir, 'no', 'r.html')), 'does not exist; create it first');
    expectGradtuneError(() => checkOutPath(join(dir, 'file', 'r.html')), 'is not a directory');
    expectGradtuneError(() => checkOutPath(''), '--out needs a file path');
    checkOutPath(join(dir, 'r.html'));
  });

  it('writes through a temporary file; a write the system refuses is a GradtuneError that leaves no file', () => {
    const dir = tempDir();
    writeOutFile(join(dir, 'r.html'), 'new');
    writeOutFile(join(dir, 'r.html'), 'newer');
    expect(readFileSync(join(dir, 'r.html'), 'utf8')).toBe('newer');
    expect(listDir(dir)).toEqual(['r.html']);
    // sysfs refuses new files, to root as well: EACCES.
    expectGradtuneError(() => writeOutFile('/sys/gradtune-report.html', 'x'), 'cannot write /sys/gradtune-report.html (E');
  });
});

describe('gradtune report --format html', () => {
  async function store(dir: string): Promise<{ storage: string; study: StudyRecord }> {
    const { study, trials } = syntheticStudy({ trials: 12, seed: 3, name: 'cli-html' });
    const storage = join(dir, 'gradtune.db');
    return { storage, study: await saveStudy(storage, study, trials) };
  }

  it('writes the report to --out and says where', async () => {
    const dir = tempDir();
    const { storage } = await store(dir);
    const r = await runOk(['report', '--study', 'cli-html', '--format', 'html', '--out', 'report.html', '--storage', storage], { cwd: dir });
    expect(r.stdout).toMatch(/^wrote report\.html \(1\.\d MB\); open it in a browser, it needs no network\n$/);
    const html = readFileSync(join(dir, 'report.html'), 'utf8');
    expect(html.startsWith('<!doctype html>')).toBe(true);
    expectIn(html, '<h1>Study <span id="study-name">cli-html</span></h1>');
    expect(listDir(dir).filter((f) => f.includes('.tmp'))).toEqual([]);
  });

  it('writes to stdout when it is not a terminal (here, a pipe)', async () => {
    const dir = tempDir();
    const { storage } = await store(dir);
    const r = await runOk(['report', '--study', 'cli-html', '--format', 'html', '--storage', storage], { cwd: dir });
    expect(r.stdout.startsWith('<!doctype html>')).toBe(true);
    expect(r.stdout.endsWith('</html>\n')).toBe(true);
  });

  it('mistakes are one line, exit code 2, and write nothing', async () => {
    const dir = tempDir();
    const { storage } = await store(dir);
    mkdirSync(join(dir, 'adir'));
    const before = listDir(dir);
    const cases: Array<[string[], string]> = [
      [['--out', join(dir, 'missing', 'r.html')], 'directory'],
      [['--out', 'adir'], '--out adir is a directory'],
      [['--out', '/sys/gradtune-report.html'], 'cannot write /sys/gradtune-report.html'],
      [['--out', 'r.html', '--trial', '1'], 'the html report shows the whole study'],
      [['--out', 'r.html', '--top', '3'], '--top limits the text leaderboard'],
    ];
    for (const [flags, message] of cases) {
      const r = await runCli(['report', '--study', 'cli-html', '--format', 'html', '--storage', storage, ...flags], { cwd: dir });
      expect({ flags, code: r.code, stdout: r.stdout }).toEqual({ flags, code: 2, stdout: '' });
      expect(r.stderr).toMatch(/^gradtune: error: [^\n]+\n$/);
      expect(r.stderr).toContain(message);
    }
    expect(listDir(dir)).toEqual(before);
    expect(existsSync('/sys/gradtune-report.html')).toBe(false);
  });
});
