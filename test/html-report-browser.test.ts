// The HTML report in a real browser: Debian's Chromium, headless, driven by playwright-core.
// Each test writes a report to a file, opens it from file://, and checks what a user would
// see and do: no errors, no network, every chart drawn, sorting, filtering, picking a trial,
// escaping of hostile names, and a study with nothing completed. Screenshots go to
// test-artifacts/ (gitignored) for a person to look at.
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildReportData } from '../src/report/html/build-report-data.js';
import { formatHtmlReport } from '../src/report/html/report.js';
import type { StudyRecord, TrialRecord } from '../src/store/store.js';
import { DEFAULT_DIAGNOSTICS } from '../src/train/diagnostics-settings.js';
import { syntheticStudy } from './fixtures/html-study.js';
import { makeStudy, makeTrial } from './helpers/records.js';

const CHROMIUM = '/usr/bin/chromium';
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const ARTIFACTS = fileURLToPath(new URL('../test-artifacts/', import.meta.url));

const available = existsSync(CHROMIUM);
// Skipped only where the browser is missing, and the name says so; .ci/run installs it.
const suite = available
  ? 'the HTML report in headless Chromium'
  : `the HTML report in headless Chromium — SKIPPED: ${CHROMIUM} not found (apt-get install chromium; .ci/run does)`;

interface Opened {
  page: Page;
  /** Console errors and uncaught exceptions (a CSP violation is a console error too). */
  problems: string[];
  requests: string[];
  url: string;
}

interface ChartState {
  id: string;
  initialised: boolean;
  points: number;
  /** Canvas pixels with any paint on them. */
  painted: number;
}

const HOSTILE_SCRIPT = '<script>window.__pwned=1</script>';
const HOSTILE_QUOTES = `"'><img src=x onerror="window.__pwned=2">`;

describe.skipIf(!available)(suite, () => {
  let browser: Browser;
  let dir: string;

  beforeAll(async () => {
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS });
    dir = mkdtempSync(join(tmpdir(), 'gradtune-html-'));
    mkdirSync(ARTIFACTS, { recursive: true });
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  async function open(html: string, name: string): Promise<Opened> {
    const file = join(dir, `${name}.html`);
    writeFileSync(file, html);
    const url = pathToFileURL(file).href;
    const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    const problems: string[] = [];
    const requests: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error') problems.push(`console.error: ${m.text()}`);
    });
    page.on('pageerror', (e) => problems.push(`uncaught: ${e.message}`));
    page.on('request', (r) => requests.push(r.url()));
    await page.goto(url);
    await page.waitForSelector('body[data-rendered]', { timeout: 30_000 });
    // Two frames: whatever ECharts still has to paint is painted.
    await page.evaluate(() => new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve))));
    return { page, problems, requests, url };
  }

  /** Every chart container: its ECharts instance, how many data points its series hold, and how much of its canvas is painted. */
  function charts(page: Page): Promise<ChartState[]> {
    return page.$$eval('.chart', (elements) =>
      elements.map((el) => {
        const e = el as HTMLElement;
        const id = e.id || (e.dataset.param ? `slice:${e.dataset.param}` : `bracket:${e.dataset.bracket}`);
        const instance = (window as unknown as { echarts: { getInstanceByDom(el: Element): { getOption(): { series?: Array<{ data?: unknown[] }> } } | undefined } }).echarts.getInstanceByDom(e);
        const canvas = e.querySelector('canvas');
        if (!instance || !canvas) return { id, initialised: false, points: 0, painted: 0 };
        const series = instance.getOption().series ?? [];
        const points = series.reduce((n, s) => n + (s.data?.length ?? 0), 0);
        const pixels = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height).data;
        let painted = 0;
        for (let i = 3; i < pixels.length; i += 4) if (pixels[i] > 0) painted++;
        return { id, initialised: true, points, painted };
      }),
    );
  }

  /** The trial numbers of the visible leaderboard rows, top to bottom. */
  function rows(page: Page): Promise<number[]> {
    return page.$$eval('#lb tbody tr:not([hidden])', (trs) => trs.map((tr) => Number(tr.getAttribute('data-trial'))));
  }

  /** The ids of the series of the chart in `selector`. */
  function seriesIds(page: Page, selector: string): Promise<string[]> {
    return page.$eval(selector, (el) => {
      const option = (window as unknown as { echarts: { getInstanceByDom(el: Element): { getOption(): { series: Array<{ id: string; name: string }> } } } }).echarts.getInstanceByDom(el).getOption();
      return option.series.map((s) => s.id);
    });
  }

  function chartTitle(page: Page, selector: string): Promise<string> {
    return page.$eval(selector, (el) => {
      const option = (window as unknown as { echarts: { getInstanceByDom(el: Element): { getOption(): { title: Array<{ text: string }> } } } }).echarts.getInstanceByDom(el).getOption();
      return option.title[0]?.text ?? '';
    });
  }

  function expectClean(opened: Opened): void {
    expect(opened.problems).toEqual([]);
    // The page itself, and nothing else: no script, style, font or beacon from anywhere.
    expect(opened.requests).toEqual([opened.url]);
  }

  it('renders a study with completed, rejected and failed trials: no errors, no network, every chart drawn', async () => {
    const { study, trials } = syntheticStudy({ trials: 40, seed: 2, name: 'browser-random' });
    const counts = (s: string) => trials.filter((t) => t.status === s).length;
    expect([counts('completed'), counts('rejected'), counts('failed')]).toEqual([32, 6, 2]);
    const opened = await open(formatHtmlReport(study, trials), 'random');
    const { page } = opened;
    try {
      expectClean(opened);
      const states = await charts(page);
      // history, loss, metric, gradients, reasons, by value, importance, and one slice per varying parameter.
      const params = buildReportData(study, trials).params.length;
      expect(states.map((s) => s.id)).toEqual([
        'chart-history', 'chart-loss', 'chart-metric', 'chart-gradients', 'chart-reasons', 'chart-rejections-by-value', 'chart-importance',
        ...buildReportData(study, trials).importance.items.map((i) => `slice:${i.name}`),
      ]);
      expect(states).toHaveLength(7 + params);
      for (const s of states) {
        expect(s, s.id).toMatchObject({ initialised: true });
        expect(s.points, `${s.id} has data`).toBeGreaterThan(0);
        expect(s.painted, `${s.id} is painted`).toBeGreaterThan(2000);
      }
      await page.evaluate(() => window.scrollTo(0, 0));
      await page.screenshot({ path: join(ARTIFACTS, 'html-report.png'), fullPage: true });
    } finally {
      await page.close();
    }
  });

  it('sorts the leaderboard by the clicked header, filters by status, and picking a trial redraws the curves and the gradients', async () => {
    const { study, trials } = syntheticStudy({ trials: 40, seed: 2, name: 'browser-random' });
    const data = buildReportData(study, trials);
    const opened = await open(formatHtmlReport(study, trials), 'interact');
    const { page } = opened;
    try {
      // Leaderboard order first, the best trial highlighted and picked.
      expect(await rows(page)).toEqual(data.trials.map((t) => t.n));
      expect(await page.$eval('#lb tbody tr.best', (tr) => tr.getAttribute('data-trial'))).toBe(String(data.best));
      expect(await page.textContent('#picked-label')).toBe(`picked: trial ${data.best}`);

      await page.click('#lb th[data-key="trial"]');
      expect(await rows(page)).toEqual(trials.map((t) => t.number));
      expect(await page.getAttribute('#lb th[data-key="trial"]', 'aria-sort')).toBe('ascending');
      await page.click('#lb th[data-key="trial"]');
      expect(await rows(page)).toEqual(trials.map((t) => t.number).reverse());
      expect(await page.getAttribute('#lb th[data-key="trial"]', 'aria-sort')).toBe('descending');

      // By a parameter: values in order, trials without it last.
      await page.click('#lb th[data-key="param:learning_rate"]');
      const lrs = (await rows(page)).map((n) => trials[n].params.learning_rate as number);
      expect(lrs).toEqual([...lrs].sort((a, b) => a - b));
      // By the score: best first on the first click, trials without a score last.
      await page.click('#lb th[data-key="score"]');
      const scores = (await rows(page)).map((n) => trials[n].score);
      const scored = scores.filter((s): s is number => s !== null);
      expect(scores.slice(0, scored.length)).toEqual([...scored].sort((a, b) => b - a));
      expect(scores.slice(scored.length).every((s) => s === null)).toBe(true);

      await page.uncheck('#lb-controls input[data-status="completed"]');
      const visible = await rows(page);
      expect(visible.map((n) => trials[n].status).sort()).toEqual([...Array(2).fill('failed'), ...Array(6).fill('rejected')]);
      expect(await page.textContent('#lb-controls .shown')).toBe('showing 8 of 40 trials');

      // Pick a rejected trial (not among the top three) in the leaderboard.
      const rejected = trials.find((t) => t.status === 'rejected' && t.history.length > 0)!;
      expect(await seriesIds(page, '#chart-loss')).not.toContain(`loss:${rejected.number}`);
      await page.click(`#lb tbody tr[data-trial="${rejected.number}"]`);
      expect(await page.textContent('#picked-label')).toBe(`picked: trial ${rejected.number}`);
      expect(await page.getAttribute(`#lb tbody tr[data-trial="${rejected.number}"]`, 'class')).toContain('picked');
      expect(await seriesIds(page, '#chart-loss')).toEqual(
        [...data.top, rejected.number].flatMap((n) => [`loss:${n}`, `val_loss:${n}`]),
      );
      expect(await seriesIds(page, '#chart-metric')).toContain(`val_accuracy:${rejected.number}`);
      expect(await chartTitle(page, '#chart-gradients')).toMatch(new RegExp(`^trial ${rejected.number}: ${rejected.diagnostics!.verdict.kind}`));
      const layers = rejected.diagnostics!.epochs[0].layers.map((l) => l.layer);
      expect(
        await page.$eval('#chart-gradients', (el) =>
          (window as unknown as { echarts: { getInstanceByDom(el: Element): { getOption(): { series: Array<{ name: string }> } } } }).echarts.getInstanceByDom(el).getOption().series.map((s) => s.name),
        ),
      ).toEqual([...layers, 'global']);
      expect(await page.textContent('#picked-card')).toContain(`Picked trial ${rejected.number}: rejected`);

      // A failed trial: its error is shown, and the gradient chart says there is nothing to draw.
      const failed = trials.find((t) => t.status === 'failed')!;
      await page.check('#lb-controls input[data-status="completed"]');
      await page.click(`#lb tbody tr[data-trial="${failed.number}"]`);
      expect(await page.textContent('#picked-card pre')).toBe(failed.error);
      expect(await chartTitle(page, '#chart-gradients')).toBe(`trial ${failed.number} has no gradient diagnostics`);
      expectClean(opened);
    } finally {
      await page.close();
    }
  });

  it('pages through a long leaderboard: 100 rows at a time, sorted and filtered over all trials', async () => {
    const { study, trials } = syntheticStudy({ trials: 250, seed: 5, name: 'browser-long' });
    const data = buildReportData(study, trials);
    const opened = await open(formatHtmlReport(study, trials), 'long');
    const { page } = opened;
    try {
      const ranked = data.trials.map((t) => t.n);
      expect(await rows(page)).toEqual(ranked.slice(0, 100));
      expect(await page.textContent('#lb-controls .range')).toBe(' rows 1–100 ');
      expect(await page.isDisabled('#lb-controls .page-prev')).toBe(true);
      await page.click('#lb-controls .page-next');
      expect(await rows(page)).toEqual(ranked.slice(100, 200));
      await page.click('#lb-controls .page-next');
      expect(await rows(page)).toEqual(ranked.slice(200));
      expect(await page.isDisabled('#lb-controls .page-next')).toBe(true);
      // Sorting covers every trial and starts again at the first page.
      await page.click('#lb th[data-key="trial"]');
      await page.click('#lb th[data-key="trial"]');
      expect(await rows(page)).toEqual(trials.map((t) => t.number).reverse().slice(0, 100));
      await page.selectOption('#lb-controls .page-size', '0');
      expect(await rows(page)).toEqual(trials.map((t) => t.number).reverse());
      await page.uncheck('#lb-controls input[data-status="completed"]');
      const unfinished = trials.filter((t) => t.status !== 'completed').map((t) => t.number).reverse();
      expect(await rows(page)).toEqual(unfinished);
      expect(await page.textContent('#lb-controls .shown')).toBe(`showing ${unfinished.length} of 250 trials`);
      expectClean(opened);
    } finally {
      await page.close();
    }
  });

  it('shows a Hyperband study as brackets and rounds with the promoted trials', async () => {
    const { study, trials } = syntheticStudy({ trials: 40, seed: 2, algorithm: 'hyperband', maxEpochs: 9, name: 'browser-hyperband' });
    const data = buildReportData(study, trials);
    const opened = await open(formatHtmlReport(study, trials), 'hyperband');
    const { page } = opened;
    try {
      expectClean(opened);
      const brackets = (await charts(page)).filter((s) => s.id.startsWith('bracket:'));
      expect(brackets.map((b) => b.id)).toEqual(data.hyperband!.brackets.map((b) => `bracket:${b.iteration}:${b.bracket}`));
      for (const b of brackets) expect(b.painted, b.id).toBeGreaterThan(2000);
      const promoted = data.hyperband!.brackets.flatMap((b) => b.rounds.flatMap((r) => r.promoted));
      expect(promoted.length).toBeGreaterThan(0);
      expect(await page.$$eval('#brackets button.t.promoted', (bs) => bs.map((b) => Number(b.textContent!.slice(1))))).toEqual(promoted);
      // Every trial of the study is in the table once.
      expect((await page.$$eval('#brackets button.t', (bs) => bs.map((b) => Number(b.textContent!.slice(1))))).sort((a, b) => a - b)).toEqual(trials.map((t) => t.number));
      const child = trials.find((t) => t.parent === promoted[0])!;
      await page.click(`#brackets button.t:text-is("#${child.number}")`);
      expect(await page.textContent('#picked-label')).toBe(`picked: trial ${child.number}`);
      expect(await page.textContent('#picked-card')).toContain(`continues trial ${promoted[0]} from epoch ${child.fromEpoch}`);
      await page.evaluate(() => window.scrollTo(0, 0));
      await page.screenshot({ path: join(ARTIFACTS, 'html-report-hyperband.png'), fullPage: true });
    } finally {
      await page.close();
    }
  });

  it('shows hostile names as text and runs none of them', async () => {
    const name = `evil${HOSTILE_SCRIPT}${HOSTILE_QUOTES}`;
    const study: StudyRecord = makeStudy({
      name,
      space: `./${HOSTILE_SCRIPT}.ts`,
      datasetName: `${HOSTILE_QUOTES}.csv`,
      data: { path: `/nonexistent/${HOSTILE_SCRIPT}.csv`, valSplit: 0.2, seed: 1 },
      settings: { maxTrials: 4, diagnostics: { ...DEFAULT_DIAGNOSTICS } },
    });
    const param = `units${HOSTILE_QUOTES}`;
    const layer = `dense${HOSTILE_QUOTES}`;
    const history = [1, 2].map((epoch) => ({ epoch, loss: 1 / epoch, val_loss: 1.1 / epoch, accuracy: 0.5 + epoch / 10, val_accuracy: 0.5 + epoch / 11, learningRate: 0.01 }));
    const diagnostics = {
      verdict: { kind: 'vanishing' as const, evidence: { statistic: 'kernel gradient norm', layer, value: 1e-9, threshold: 1e-7, epoch: 2, step: 5, preflight: false } },
      checks: 8,
      epochs: history.map((h) => ({ epoch: h.epoch, globalGrad: 0.5, layers: [{ layer, kernelGrad: 1e-9, biasGrad: null, weight: 1, updateRatio: 1e-11 }, { layer: 'logits', kernelGrad: 0.4, biasGrad: null, weight: 1, updateRatio: 0.004 }] })),
      settings: { ...DEFAULT_DIAGNOSTICS },
    };
    const trials: TrialRecord[] = [
      makeTrial(0, { [param]: 8, activation: HOSTILE_SCRIPT }, 'completed', { score: 0.7, epochsRun: 2, history, diagnostics: { ...diagnostics, verdict: { kind: 'healthy' } } }),
      makeTrial(1, { [param]: 16, activation: HOSTILE_QUOTES }, 'completed', { score: 0.6, epochsRun: 2, history }),
      makeTrial(2, { [param]: 32, activation: HOSTILE_SCRIPT }, 'rejected', { epochsRun: 2, history, diagnostics }),
      makeTrial(3, { [param]: 64, activation: HOSTILE_QUOTES }, 'failed', { error: `Error: ${HOSTILE_SCRIPT}${HOSTILE_QUOTES}` }),
    ];
    const opened = await open(formatHtmlReport(study, trials), 'hostile');
    const { page } = opened;
    try {
      expect(await page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned)).toBeUndefined();
      expect(await page.textContent('#study-name')).toBe(name);
      expect(await page.title()).toBe(`gradtune report: ${name}`);
      const summary = (await page.textContent('#summary'))!;
      expect(summary).toContain(`./${HOSTILE_SCRIPT}.ts`);
      expect(summary).toContain(`/nonexistent/${HOSTILE_SCRIPT}.csv`);
      expect(await page.$$eval('#lb th', (ths) => ths.map((th) => th.textContent))).toContain(param);
      expect(await page.textContent('#lb tbody tr[data-trial="2"] td.verdict')).toContain(`vanishing: ${layer} |g|=1e-9`);
      expect(await page.textContent('#lb tbody tr[data-trial="0"]')).toContain(HOSTILE_SCRIPT);
      await page.click('#lb tbody tr[data-trial="3"]');
      expect(await page.textContent('#picked-card pre')).toBe(`Error: ${HOSTILE_SCRIPT}${HOSTILE_QUOTES}`);
      expect(await page.textContent('#picked-card .params')).toContain(`${param} 64`);
      // Tooltips are DOM too: show one on a slice of the hostile parameter and on the gradient chart.
      await page.click('#lb tbody tr[data-trial="2"]');
      const tooltipText = await page.evaluate((p) => {
        type Chart = { dispatchAction(a: object): void };
        const echarts = (window as unknown as { echarts: { getInstanceByDom(el: Element): Chart } }).echarts;
        const slice = document.querySelector(`.chart[data-param="${CSS.escape(p)}"]`)!;
        echarts.getInstanceByDom(slice).dispatchAction({ type: 'showTip', seriesIndex: 0, dataIndex: 0 });
        const texts = [...slice.querySelectorAll('.tip')].map((t) => t.textContent);
        const gradients = document.getElementById('chart-gradients')!;
        echarts.getInstanceByDom(gradients).dispatchAction({ type: 'showTip', seriesIndex: 0, dataIndex: 0 });
        return texts.concat([...gradients.querySelectorAll('.tip')].map((t) => t.textContent));
      }, param);
      expect(tooltipText.join('\n')).toContain(`${param} 8`);
      expect(tooltipText.join('\n')).toContain(`${layer} 1e-9`);
      // Nothing of theirs became an element: the only images would be injected ones.
      expect(await page.$$eval('img', (imgs) => imgs.length)).toBe(0);
      expect(await page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned)).toBeUndefined();
      expectClean(opened);
    } finally {
      await page.close();
    }
  });

  it('renders a study with no completed trials, and one with no trials at all, and says so', async () => {
    const { study, trials } = syntheticStudy({ trials: 40, seed: 2, name: 'browser-none-completed' });
    const unfinished = trials.filter((t) => t.status !== 'completed');
    const opened = await open(formatHtmlReport(study, unfinished), 'none-completed');
    try {
      expectClean(opened);
      expect(await opened.page.textContent('#no-completed')).toBe('No completed trials yet. 8 trials, none completed with a score; the sections below show what is known about them.');
      expect(await opened.page.textContent('#effects')).toContain('No completed trials yet');
      // What is known is still drawn: the strip of unscored trials, their curves and gradients.
      const states = await charts(opened.page);
      expect(states.map((s) => s.id)).toEqual(['chart-history', 'chart-loss', 'chart-metric', 'chart-gradients', 'chart-reasons', 'chart-rejections-by-value']);
      for (const s of states) expect(s.painted, s.id).toBeGreaterThan(2000);
      await opened.page.evaluate(() => window.scrollTo(0, 0));
      await opened.page.screenshot({ path: join(ARTIFACTS, 'html-report-none-completed.png'), fullPage: true });
    } finally {
      await opened.page.close();
    }

    const empty = await open(formatHtmlReport({ ...study, name: 'browser-empty' }, []), 'empty');
    try {
      expectClean(empty);
      expect(await empty.page.textContent('#no-completed')).toBe('No completed trials yet. The study has no trials: run gradtune search for it first.');
      expect(await charts(empty.page)).toEqual([]);
      expect(await empty.page.textContent('#leaderboard')).toContain('No trials yet.');
    } finally {
      await empty.page.close();
    }
  });
});
