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

function headerHtml(data: ReportData, header: HeaderFacts, generatedAt: Date): string {
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
</section>
<!-- generated ${e(generatedAt.toISOString())} -->`;
}

function section(id: string, title: string, body: string): string {
  return `<section class="card" id="${id}">\n<h2>${e(title)}</h2>\n${body}\n</section>`;
}

function empty(text: string): string {
  return `<p class="empty">${e(text)}</p>`;
}

function leaderboardHtml(data: ReportData): string {
  if (data.trials.length === 0) return section('leaderboard', 'Leaderboard', empty('No trials yet.'));
  return section(
    'leaderboard',
    'Leaderboard',
    `<p class="explain">Every trial. Click a column's header to sort by it (again to reverse), tick statuses to filter, page through long studies, and click a row to pick that trial for the learning curves and the gradient chart. The best trial is highlighted; parameters that hold the same value in every trial are left out.</p>
<div class="lb-controls" id="lb-controls"></div>
<div class="table-wrap"><table class="lb" id="lb"><thead></thead><tbody></tbody></table></div>`,
  );
}

function historyHtml(data: ReportData): string {
  const direction = data.study.direction === 'max' ? 'highest' : 'lowest';
  const body =
    data.trials.length === 0
      ? empty('No trials yet.')
      : `<p class="explain">${e(data.study.metric)} of each completed trial in the order the trials were started, and the best so far (the ${direction} ${e(data.study.metric)} up to that trial). Trials without a score — rejected by the gradient monitor, pruned, failed or lost — are marked in the strip below at their trial number. Click a point to pick the trial.</p>
${data.best === null ? empty('No completed trials yet: there is no score to plot, only the strip of other trials.') : ''}
<div class="chart" id="chart-history"></div>`;
  return section('history', 'Optimization history', body);
}

function curvesHtml(data: ReportData): string {
  const any = data.trials.some((t) => t.history !== null);
  const metric = data.metric ? `${data.metric.train} and ${data.metric.val}` : 'the metric';
  const body = any
    ? `<p class="explain">Per epoch, for ${data.top.length === 0 ? 'the picked trial (no trial has completed yet)' : `the best ${data.top.length === 1 ? 'trial' : `${data.top.length} trials`} and the picked trial (drawn thicker)`}: training loss (solid) and validation loss (dashed) on the left, ${e(metric)} on the right. A Hyperband promotion numbers its epochs after its parent's, so its curve starts where it continued.</p>
<div class="picked-card" id="picked-card"></div>
<div class="row"><div><div class="chart short" id="chart-loss"></div></div><div><div class="chart short" id="chart-metric"></div></div></div>`
    : empty('No trial finished an epoch yet, so there are no learning curves.');
  return section('curves', 'Learning curves', body);
}

function gradientsHtml(data: ReportData): string {
  const anyGradients = data.trials.some((t) => t.gradients !== null);
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

function effectsHtml(data: ReportData): string {
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

function hyperbandHtml(data: ReportData): string {
  if (!data.hyperband) return '';
  const hb = data.hyperband;
  return section(
    'hyperband',
    'Hyperband',
    `<p class="explain">Each bracket starts fresh configurations for a few epochs (round 0); each later round promotes the best of the previous round (a new trial that continues its parent's checkpoint) and trains it for longer. Points are trials at the epoch their round trains to, lines join a promoted trial to its parent; in the tables, promoted trials are green and every number picks its trial.${hb.factor === null ? ' The study did not store its reduction factor, so the planned sizes are the trials that ran.' : ` Reduction factor ${hb.factor}, ${hb.iterations} iteration${hb.iterations === 1 ? '' : 's'}.`}${hb.notStarted > 0 ? ` ${hb.notStarted} bracket${hb.notStarted === 1 ? '' : 's'} of the schedule did not start.` : ''}</p>
<div class="brackets" id="brackets"></div>`,
  );
}

export interface RenderInput {
  data: ReportData;
  header: HeaderFacts;
  generatedAt: Date;
  gradtuneVersion: string;
}

/** The whole report as one HTML document. */
export function renderHtml({ data, header, generatedAt, gradtuneVersion }: RenderInput): string {
  const a = assets();
  const scripts = [a.echarts, a.pageJs];
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
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${e(contentSecurityPolicy(scripts))}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="gradtune ${e(gradtuneVersion)}">
<title>${e(`gradtune report: ${data.study.name}`)}</title>
<style>
${a.pageCss}
</style>
</head>
<body>
<header class="top">
<h1>Study <span id="study-name">${e(data.study.name)}</span></h1>
<div class="sub">gradtune report · ${e(data.study.algorithm)} · objective ${e(data.study.metric)} (${e(data.study.direction)}) · generated ${e(generatedAt.toISOString().replace('T', ' ').replace(/\.\d+Z$/, ' UTC'))}</div>
</header>
<nav class="sections">${nav}<span class="picked-label" id="picked-label"></span></nav>
<main>
${headerHtml(data, header, generatedAt)}
${leaderboardHtml(data)}
${historyHtml(data)}
${curvesHtml(data)}
${gradientsHtml(data)}
${effectsHtml(data)}
${hyperbandHtml(data)}
</main>
<footer>gradtune ${e(gradtuneVersion)} · charts by Apache ECharts ${e(a.echartsVersion)} (Apache-2.0), inlined · this file makes no network requests</footer>
<script type="application/json" id="report-data">${jsonForScript(data)}</script>
<script>${a.echarts}</script>
<script>${a.pageJs}</script>
</body>
</html>
`;
}
