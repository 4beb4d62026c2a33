// Search progress: a live bar on a terminal; one plain line per finished trial when
// stdout is a pipe or a file (CI logs, `| tee`).
import cliProgress from 'cli-progress';
import { formatScore } from '../report/columns.js';
import { formatEpochRange } from '../report/lineage.js';
import { formatGridSize } from '../space/grid.js';
import { describeVerdict } from '../train/diagnostics.js';
import type { TunerEvents } from '../tuner.js';
import type { TrialSummary } from '../store/store.js';
import { streamClosed } from './output.js';
import { RunningTrialsView } from './running-trials.js';

/** How often the bar is redrawn between trial ends: the running count, elapsed time and ETA move. */
export const REDRAW_MS = 1000;

/** `45s`, `3m 05s`, `2h 14m`: short enough for a status line. */
export function formatDuration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m ${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(m / 60)}h ${String(m % 60).padStart(2, '0')}m`;
}

/**
 * The expected end of the search, from the trials finished by this run: their rate
 * (trials per ms of wall time, all workers together) applied to the trials left. Undefined
 * until one has finished. Rough by nature: Hyperband's later rounds train longer.
 */
export function estimateEnd(startedAt: number, now: number, finishedHere: number, left: number): number | undefined {
  if (finishedHere === 0) return undefined;
  if (left <= 0) return now;
  return now + (left * (now - startedAt)) / finishedHere;
}

export function progressReporter(out: NodeJS.WriteStream = process.stdout): TunerEvents & { stop(): void } {
  const interactive = Boolean(out.isTTY);
  let bar: cliProgress.SingleBar | undefined;
  let timer: NodeJS.Timeout | undefined;
  let total = 0;
  let before = 0;
  let metric = '';
  let running = 0;
  let finished = 0;
  let best: TrialSummary | undefined;
  let startedAt = 0;
  let end: number | undefined;
  const bestText = (t: TrialSummary | undefined) => (t ? `${formatScore(t.score)} (#${t.number})` : '-');
  const payload = () => {
    const now = Date.now();
    return {
      running,
      best: bestText(best),
      elapsed: formatDuration(now - startedAt),
      // Counts down between trial ends; re-estimated at each.
      remaining: end === undefined ? '-' : formatDuration(end - now),
    };
  };
  let live: RunningTrialsView | undefined;
  const closed = () => out === process.stdout && streamClosed('stdout');
  const write = (text: string) => {
    if (!closed()) out.write(text);
  };
  return {
    onStart({ study, dataset, backend, total: target, existing, workers, resumed, gridSize }) {
      total = target;
      before = existing;
      metric = study.objective.metric;
      startedAt = Date.now();
      write(`backend: ${backend}\n`);
      write(`study: ${study.name}${resumed ? ` (continuing: ${existing} trials so far)` : ''} | space ${study.space} | objective ${metric} (${study.objective.direction})\n`);
      write(`data: ${dataset.name}: ${dataset.nTrain + dataset.nVal} rows, ${dataset.nFeatures} features, ${dataset.task}, ${dataset.nTrain} train / ${dataset.nVal} val\n`);
      const grid = gridSize ? ` | grid: ${formatGridSize(gridSize)}` : '';
      write(`workers: ${workers}${grid} | trials: up to ${target}\n`);
      if (interactive && !closed()) {
        bar = new cliProgress.SingleBar(
          {
            // The same stream whose isTTY chose the bar (cli-progress would pick stderr).
            stream: out,
            format: 'trials {bar} {value}/{total} | running {running} | best {best} | {elapsed} | ETA {remaining}',
            hideCursor: true,
            // Redrawn by the timer below, not at cli-progress's 10 per second.
            fps: 2,
          },
          cliProgress.Presets.shades_classic,
        );
        bar.start(target, Math.min(existing, target), payload());
        // Without it the bar would only move when a trial ends, minutes apart in a long search.
        timer = setInterval(() => bar?.update(payload()), REDRAW_MS);
        timer.unref();
        // Under the bar: each running trial's epoch and last score.
        live = new RunningTrialsView(out, metric, study.maxEpochs);
        live.attach(bar);
      }
    },
    onTrialStart(trial, rerun) {
      running++;
      bar?.update(payload());
      if (!rerun) return;
      const why = rerun === 'stale' ? 'its process was lost' : `retry ${trial.retries} of a failed trial`;
      // On a terminal the bar owns the line; a re-run shows in its counts instead.
      if (!bar) write(`trial ${trial.number} runs again (${why}), same params\n`);
    },
    onEpoch(trial, record) {
      live?.epoch(trial, record);
    },
    onTrialEnd(trial, progress) {
      running = progress.running;
      finished = progress.finished;
      best = progress.best;
      const now = Date.now();
      end = estimateEnd(startedAt, now, finished, total - before - finished);
      live?.end(trial.number);
      if (bar) {
        bar.increment(1, payload());
        return;
      }
      const score = trial.score === null ? '-' : formatScore(trial.score);
      const time = trial.durationMs === null ? '' : ` ${(trial.durationMs / 1000).toFixed(1)}s`;
      const error = trial.error ? ` error: ${trial.error.split('\n')[0]}` : '';
      const verdict = trial.diagnostics && trial.diagnostics.verdict.kind !== 'healthy' ? ` | ${describeVerdict(trial.diagnostics.verdict)}` : '';
      // A promotion's epochs as a range (numbered across its chain) and the trial it continues.
      const epochs = trial.parent === null && (trial.fromEpoch ?? 0) === 0 ? String(trial.epochsRun) : `${formatEpochRange(trial)}${trial.parent === null ? '' : ` (continues #${trial.parent})`}`;
      const pruned = trial.pruned ? ` | pruned at epoch ${trial.pruned.epoch}: ${trial.pruned.rule}` : '';
      const repair = trial.repairOf === null ? '' : ` (repair of ${trial.repairOf})`;
      write(`trial ${trial.number}${repair} ${trial.status} ${metric}=${score} epochs=${epochs}${time} | ${before + progress.finished}/${total} | best ${bestText(progress.best)}${verdict}${pruned}${error}\n`);
    },
    stop() {
      if (!closed()) live?.clear();
      clearInterval(timer);
      timer = undefined;
      if (!closed()) bar?.stop();
      bar = undefined;
    },
  };
}
