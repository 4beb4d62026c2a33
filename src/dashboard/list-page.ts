// The dashboard's first page: every study in the store with its status counts, best score,
// algorithm, sampler and last activity. Rendered here with every string escaped; list.js
// then refreshes the rows from /api/studies, building them with textContent.
import { formatScore } from '../report/columns.js';
import { escapeHtml as e, jsonForScript } from '../report/html/escape.js';
import { STATUS_ORDER } from '../report/html/header.js';
import type { StudySummary } from '../store/store.js';

export interface ListPageInput {
  studies: readonly StudySummary[];
  /** The store, as Store.location writes it (a URL's password is `***`). */
  location: string;
  interval: number;
  studyPath: (name: string) => string;
  version: string;
}

function row(s: StudySummary, href: string): string {
  const total = Object.values(s.counts).reduce((a: number, b) => a + (b ?? 0), 0);
  const chips = STATUS_ORDER.filter((status) => (s.counts[status] ?? 0) > 0)
    .map((status) => `<span class="chip ${status}">${s.counts[status]} ${status}</span>`)
    .join(' ');
  return `<tr data-study="${e(s.name)}"><td><a href="${e(href)}">${e(s.name)}</a></td><td>${e(s.algorithm)}</td><td>${e(s.sampler ?? '')}</td><td>${e(`${s.objective.metric} (${s.objective.direction})`)}</td><td class="num">${total}</td><td>${chips}</td><td class="num">${e(formatScore(s.best))}</td><td>${e(s.lastActivity.replace('T', ' ').replace(/\.\d+Z$/, ' UTC'))}</td></tr>`;
}

export function listPage({ studies, location, interval, studyPath, version }: ListPageInput): string {
  const body =
    studies.length === 0
      ? `<p class="empty" id="no-studies">No studies in this store yet: run <code>gradtune search</code> with it, and they appear here.</p>`
      : '';
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>gradtune dashboard</title>
<style>
body { font: 14px/1.45 system-ui, sans-serif; color: #1d2330; margin: 0; background: #f6f7f9; }
header, main, footer { padding: 12px 24px; }
h1 { font-size: 20px; margin: 8px 0 2px; }
.sub, footer { color: #5d6675; font-size: 12px; }
table { border-collapse: collapse; background: #fff; border: 1px solid #dee2e6; }
th, td { padding: 6px 10px; border-bottom: 1px solid #eef0f4; text-align: left; white-space: nowrap; }
th { background: #f1f3f5; font-weight: 600; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
.chip { display: inline-block; padding: 0 7px; border-radius: 9px; font-size: 12px; color: #fff; background: #868e96; }
.chip.completed { background: #2b8a3e; } .chip.rejected { background: #e8590c; } .chip.failed { background: #c92a2a; }
.chip.running { background: #1971c2; } .chip.stale { background: #adb5bd; }
.empty { color: #5d6675; }
</style>
</head>
<body>
<header>
<h1>gradtune dashboard</h1>
<div class="sub">studies in <span id="location">${e(location)}</span> · <span id="live-status">live</span></div>
</header>
<main>
<table id="studies"><thead><tr><th>study</th><th>algorithm</th><th>sampler</th><th>objective</th><th>trials</th><th>status</th><th>best</th><th>last activity</th></tr></thead>
<tbody>
${studies.map((s) => row(s, studyPath(s.name))).join('\n')}
</tbody></table>
${body}
</main>
<footer>gradtune ${e(version)} · read-only: the dashboard never writes to the store</footer>
<script type="application/json" id="list-config">${jsonForScript({ api: '/api/studies', interval })}</script>
<script src="/assets/list.js"></script>
</body>
</html>
`;
}
