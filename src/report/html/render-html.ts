// Assembles the HTML report: one self-contained file. The header and every section's
// explanation are written here as escaped HTML; the study's data goes in as JSON; the
// charting library (ECharts) and the page's own script (page.js) are inlined, so the file
// opens offline and makes no network request.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { ReportData } from './build-report-data.js';
import { escapeHtml, inlineScript, jsonForScript } from './escape.js';
import type { HeaderFacts } from './header.js';

const require = createRequire(import.meta.url);

interface Assets {
  echarts: string;
  echartsVersion: string;
  pageJs: string;
  pageCss: string;
}

let cached: Assets | undefined;

/** The inlined code and styles, read once per process (a report is ~1 MB of them). */
function assets(): Assets {
  if (!cached) {
    const echartsPath = require.resolve('echarts/dist/echarts.min.js');
    const echartsPackage = JSON.parse(readFileSync(require.resolve('echarts/package.json'), 'utf8')) as { version: string };
    cached = {
      echarts: inlineScript(readFileSync(echartsPath, 'utf8')),
      echartsVersion: echartsPackage.version,
      pageJs: inlineScript(readFileSync(new URL('./page.js', import.meta.url), 'utf8')),
      pageCss: readFileSync(new URL('./page.css', import.meta.url), 'utf8'),
    };
  }
  return cached;
}

function sha256(text: string): string {
  return `'sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}'`;
}

/**
 * The page's Content-Security-Policy: only the two scripts written here may run (by hash,
 * so a `<script>` smuggled in through a study's strings would be refused even if escaping
 * failed), and nothing may be fetched from anywhere (`default-src 'none'`): the report
 * must work offline and must not phone home. Inline styles are allowed because ECharts
 * positions its tooltips with style attributes.
 */
function contentSecurityPolicy(scripts: string[]): string {
  return [
    "default-src 'none'",
    `script-src ${scripts.map(sha256).join(' ')}`,
    "style-src 'unsafe-inline'",
    'img-src data: blob:',
    "base-uri 'none'",
    "form-action 'none'",
  ].join('; ');
}

const e = escapeHtml;

/**
 * What the sections' HTML is written from: the study-wide data without the trials, and
 * the few facts about the trials the texts need. The static report derives it from its
 * data; the dashboard from its live state, without building every trial's view.
 */
export interface SectionInput {
  data: Omit<ReportData, 'trials'>;
  trialCount: number;
  /** Some trial has a per-epoch history (learning curves to draw). */
  anyHistory: boolean;
  /** Some trial has gradient diagnostics. */
  anyGradients: boolean;
}

export function sectionInput(data: ReportData): SectionInput {
  return {
    data,
    trialCount: data.trials.length,
    anyHistory: data.trials.some((t) => t.history !== null),
    anyGradients: data.trials.some((t) => t.gradients !== null),
  };
}

function headerHtml({ data }: SectionInput, header: HeaderFacts, generatedAt: Date | null): string {
  const rows = header.rows
    .map((r) => `<dt>${e(r.label)}</dt><dd>${e(r.value)}${r.note ? ` <span class="note">(${e(r.note)})</span>` : ''}</dd>`)
    .join('\n');
  const chips = [
    `<span class="chip total">${header.total} trial${header.total === 1 ? '' : 's'}</span>`,
    ...header.counts.map((c) => `<span class="chip ${e(c.status)}">${c.count} ${e(c.status)}</span>`),
  ].join(' ');
  const completed = header.counts.find((c) => c.status === 'completed')?.count ?? 0;
  const banner =
    data.best === null
      ? `<div class="banner" id="no-completed"><b>No completed trials yet.</b> ${
          header.total === 0
            ? 'The study has no trials: run <code>gradtune search</code> for it first.'
            : `${header.total} trial${header.total === 1 ? '' : 's'}, ${completed === 0 ? 'none completed with a score' : 'none with a finite score'}; the sections below show what is known about them.`
        }</div>`
      : '';
  return `<section class="card" id="summary">
<h2>Summary</h2>
<dl class="facts">
${rows}
</dl>
<div class="counts">${chips}</div>
${banner}
</section>${generatedAt === null ? '' : `\n<!-- generated ${e(generatedAt.toISOString())} -->`}`;
}

function section(id: string, title: string, body: string): string {
  return `<section class="card" id="${id}">\n<h2>${e(title)}</h2>\n${body}\n</section>`;
}

function empty(text: string): string {
  return `<p class="empty">${e(text)}</p>`;
}

function leaderboardHtml({ trialCount }: SectionInput): string {
  if (trialCount === 0) return section('leaderboard', 'Leaderboard', empty('No trials yet.'));
  return section(
    'leaderboard',
    'Leaderboard',
    `<p class="explain">Every trial. Click a column's header to sort by it (again to reverse), tick statuses to filter, page through long studies, and click a row to pick that trial for the learning curves and the gradient chart. The best trial is highlighted; parameters that hold the same value in every trial are left out.</p>
<div class="lb-controls" id="lb-controls"></div>
<div class="table-wrap"><table class="lb" id="lb"><thead></thead><tbody></tbody></table></div>`,
  );
}

function historyHtml({ data, trialCount }: SectionInput): string {
  const direction = data.study.direction === 'max' ? 'highest' : 'lowest';
  const body =
    trialCount === 0
      ? empty('No trials yet.')
      : `<p class="explain">${e(data.study.metric)} of each completed trial in the order the trials were started, and the best so far (the ${direction} ${e(data.study.metric)} up to that trial). Trials without a score — rejected by the gradient monitor, pruned, failed or lost — are marked in the strip below at their trial number. Click a point to pick the trial.</p>
${data.best === null ? empty('No completed trials yet: there is no score to plot, only the strip of other trials.') : ''}
<div class="chart" id="chart-history"></div>`;
  return section('history', 'Optimization history', body);
}

function curvesHtml({ data, anyHistory: any }: SectionInput): string {
  const metric = data.metric ? `${data.metric.train} and ${data.metric.val}` : 'the metric';
  const body = any
    ? `<p class="explain">Per epoch, for ${data.top.length === 0 ? 'the picked trial (no trial has completed yet)' : `the best ${data.top.length === 1 ? 'trial' : `${data.top.length} trials`} and the picked trial (drawn thicker)`}: training loss (solid) and validation loss (dashed) on the left, ${e(metric)} on the right. A Hyperband promotion numbers its epochs after its parent's, so its curve starts where it continued.</p>
<div class="picked-card" id="picked-card"></div>
<div class="row"><div><div class="chart short" id="chart-loss"></div></div><div><div class="chart short" id="chart-metric"></div></div></div>`
    : empty('No trial finished an epoch yet, so there are no learning curves.');
  return section('curves', 'Learning curves', body);
}

function gradientsHtml({ data, anyGradients }: SectionInput): string {
  const picked = anyGradients
    ? `<p class="explain">Kernel-gradient L2 norm of each layer per epoch (the mean of the epoch's checks) for the picked trial, on a log scale, with the global norm of all gradients; the dashed lines are the thresholds the trial was judged by: below the vanishing floor the first layer has stopped learning, above the exploding ceiling updates throw the weights away. Lighter colours are earlier layers; a NaN or infinite reading is a red triangle at the top.</p>
<div class="chart" id="chart-gradients"></div>`
    : empty('No trial recorded gradient diagnostics (none finished, or the monitor was off).');
  const r = data.rejections;
  const study =
    r.rejected === 0
      ? empty(r.finished === 0 ? 'No trial has finished yet.' : `The gradient monitor rejected none of the ${r.finished} finished trials.`)
      : `<p class="explain">${r.rejected} of ${r.finished} finished trials were rejected. Left: by the verdict and the reading that decided it. Right: the share of finished trials rejected for each value of a parameter (numeric parameters with many values in five ranges of equal count); pick the parameter below (listed by how strongly rejection depends on it: Pearson's chi-square of value × rejected, less its degrees of freedom).</p>
<div class="row"><div><div class="chart short" id="chart-reasons"></div></div><div><label>parameter <select id="rejection-param"></select></label><div class="chart short" id="chart-rejections-by-value"></div></div></div>`;
  return section('gradients', 'Gradient health', `<h3>Picked trial</h3>\n${picked}\n<h3>Rejections in the study</h3>\n${study}`);
}

function effectsHtml({ data }: SectionInput): string {
  if (data.params.length === 0) return section('effects', 'Hyperparameter effects', empty('No hyperparameter varies between trials.'));
  if (data.best === null) return section('effects', 'Hyperparameter effects', empty('No completed trials yet: the effects of hyperparameters are computed from completed trials.'));
  const dedup = data.importance.dedupedByConfiguration
    ? ' Hyperband promotions continue their parent’s configuration, so each configuration counts once, with the score of its furthest-trained completed trial; configurations stopped after few epochs are compared with ones trained longer.'
    : '';
  return section(
    'effects',
    'Hyperparameter effects',
    `<h3>Importance</h3>
<p class="explain" id="importance-method"><b>Method:</b> for each parameter alone, the share of the variance of ${e(data.study.metric)} among the ${data.importance.samples} completed configurations that its value explains: ε² (epsilon-squared), the effect size of a one-way analysis of variance with the trials grouped by the parameter's value, corrected for the number of groups so that a parameter with many values does not look important by chance. Numeric parameters with more than five distinct values are grouped into five ranges of equal count; a conditional parameter's absence is a group of its own. The tooltip adds Spearman's rank correlation for numeric parameters (its sign: whether larger values scored higher).${dedup}
<b>Limits:</b> it looks at one parameter at a time, so it ignores interactions and is confounded when parameters vary together (conditional parameters, or a search that concentrates on good regions); unlike fANOVA it fits no model and does not average the other parameters out. With fewer than about 20 completed trials read it as a hint.</p>
<div class="chart short" id="chart-importance"></div>
<h3>Slices</h3>
<p class="explain">${e(data.study.metric)} of every completed trial against each parameter's value, most important first; the best trial is the larger point. A trial without a parameter (not reached by a conditional space) is not drawn in its slice.</p>
<div class="slices" id="slices"></div>`,
  );
}

function hyperbandHtml({ data }: SectionInput): string {
  if (!data.hyperband) return '';
  const hb = data.hyperband;
  return section(
    'hyperband',
    'Hyperband',
    `<p class="explain">Each bracket starts fresh configurations for a few epochs (round 0); each later round promotes the best of the previous round (a new trial that continues its parent's checkpoint) and trains it for longer. Points are trials at the epoch their round trains to, lines join a promoted trial to its parent; in the tables, promoted trials are green and every number picks its trial.${hb.factor === null ? ' The study did not store its reduction factor, so the planned sizes are the trials that ran.' : ` Reduction factor ${hb.factor}, ${hb.iterations} iteration${hb.iterations === 1 ? '' : 's'}.`}${hb.notStarted > 0 ? ` ${hb.notStarted} bracket${hb.notStarted === 1 ? '' : 's'} of the schedule did not start.` : ''}</p>
<div class="brackets" id="brackets"></div>`,
  );
}

/** Each section of the page by its element id, in page order (the dashboard replaces one when its text changes). */
export function renderSections(input: SectionInput, header: HeaderFacts, generatedAt: Date | null): Array<{ id: string; html: string }> {
  return [
    { id: 'summary', html: headerHtml(input, header, generatedAt) },
    { id: 'leaderboard', html: leaderboardHtml(input) },
    { id: 'history', html: historyHtml(input) },
    { id: 'curves', html: curvesHtml(input) },
    { id: 'gradients', html: gradientsHtml(input) },
    { id: 'effects', html: effectsHtml(input) },
    { id: 'hyperband', html: hyperbandHtml(input) },
  ];
}

/** The static report (everything inlined, no request) or a dashboard page (scripts and updates from its own server). */
export type PageMode =
  | { kind: 'report'; generatedAt: Date }
  | {
      kind: 'live';
      /** Written into the page as JSON for its script: where to poll, the data's version... */
      config: Record<string, unknown>;
      /** The sections as rendered from the live state (the data's trials are light views). */
      sections: SectionInput;
      /** Where the page's scripts are served from (same origin). */
      scripts: { echarts: string; page: string };
      /** The link back to the study list. */
      home: string;
    };

export interface RenderInput {
  data: ReportData;
  header: HeaderFacts;
  gradtuneVersion: string;
  mode: PageMode;
}

/** The dashboard's Content-Security-Policy (sent as a header): scripts and requests to its own origin only. */
export const LIVE_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "connect-src 'self'",
  "style-src 'unsafe-inline'",
  'img-src data: blob:',
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

/** The version of ECharts the pages carry, and its code (served by the dashboard as a file). */
export function echartsAsset(): { code: string; version: string } {
  const a = assets();
  return { code: a.echarts, version: a.echartsVersion };
}

/** The page's own script (shared by the report and the dashboard). */
export function pageScript(): string {
  return assets().pageJs;
}

/** The whole report (or a dashboard page) as one HTML document. */
export function renderHtml({ data, header, gradtuneVersion, mode }: RenderInput): string {
  const a = assets();
  const live = mode.kind === 'live';
  const input = live ? mode.sections : sectionInput(data);
  const nav = [
    ['summary', 'Summary'],
    ['leaderboard', 'Leaderboard'],
    ['history', 'History'],
    ['curves', 'Learning curves'],
    ['gradients', 'Gradient health'],
    ['effects', 'Hyperparameter effects'],
    ...(data.hyperband ? [['hyperband', 'Hyperband']] : []),
  ]
    .map(([id, label]) => `<a href="#${id}">${label}</a>`)
    .join('');
  const sections = renderSections(input, header, live ? null : mode.generatedAt)
    .map((x) => x.html)
    .filter((html) => html !== '')
    .join('\n');
  const csp = live ? '' : `\n<meta http-equiv="Content-Security-Policy" content="${e(contentSecurityPolicy([a.echarts, a.pageJs]))}">`;
  const sub = live
    ? `gradtune dashboard · ${e(data.study.algorithm)} · objective ${e(data.study.metric)} (${e(data.study.direction)}) · <span id="live-status">live</span> · <a href="${e(mode.home)}">all studies</a>`
    : `gradtune report · ${e(data.study.algorithm)} · objective ${e(data.study.metric)} (${e(data.study.direction)}) · generated ${e(mode.generatedAt.toISOString().replace('T', ' ').replace(/\.\d+Z$/, ' UTC'))}`;
  const footer = live
    ? `gradtune ${e(gradtuneVersion)} · charts by Apache ECharts ${e(a.echartsVersion)} (Apache-2.0) · updates from this dashboard's server only`
    : `gradtune ${e(gradtuneVersion)} · charts by Apache ECharts ${e(a.echartsVersion)} (Apache-2.0), inlined · this file makes no network requests`;
  const scripts = live
    ? `<script type="application/json" id="live-config">${jsonForScript(mode.config)}</script>
<script src="${e(mode.scripts.echarts)}"></script>
<script src="${e(mode.scripts.page)}"></script>`
    : `<script>${a.echarts}</script>
<script>${a.pageJs}</script>`;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">${csp}
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="gradtune ${e(gradtuneVersion)}">
<title>${e(`gradtune ${live ? 'dashboard' : 'report'}: ${data.study.name}`)}</title>
<style>
${a.pageCss}
</style>
</head>
<body>
<header class="top">
<h1>Study <span id="study-name">${e(data.study.name)}</span></h1>
<div class="sub">${sub}</div>
</header>
<div class="banner gone" id="gone-banner" hidden></div>
<nav class="sections">${nav}<span class="picked-label" id="picked-label"></span></nav>
<main>
${sections}
</main>
<footer>${footer}</footer>
<script type="application/json" id="report-data">${jsonForScript(data)}</script>
${scripts}
</body>
</html>
`;
}
