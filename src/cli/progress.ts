// Search progress: a live bar on a terminal; one plain line per finished trial when
// stdout is a pipe or a file (CI logs, `| tee`).
import cliProgress from 'cli-progress';
import { formatScore } from '../report/columns.js';
import { formatGridSize } from '../space/grid.js';
import { describeVerdict } from '../train/diagnostics.js';
import type { TunerEvents } from '../tuner.js';
import type { TrialSummary } from '../store/store.js';
import { RunningTrialsView } from './running-trials.js';

export function progressReporter(out: NodeJS.WriteStream = process.stdout): TunerEvents & { stop(): void } {
  const interactive = Boolean(out.isTTY);
  let bar: cliProgress.SingleBar | undefined;
  let total = 0;
  let before = 0;
  let metric = '';
  let live: RunningTrialsView | undefined;
  const bestText = (best: TrialSummary | undefined) => (best ? `${formatScore(best.score)} (#${best.number})` : '-');
  return {
    onStart({ study, dataset, backend, total: target, existing, workers, resumed, gridSize }) {
      total = target;
      before = existing;
      metric = study.objective.metric;
      out.write(`backend: ${backend}\n`);
      out.write(`study: ${study.name}${resumed ? ` (continuing: ${existing} trials so far)` : ''} | space ${study.space} | objective ${metric} (${study.objective.direction})\n`);
      out.write(`data: ${dataset.name}: ${dataset.nTrain + dataset.nVal} rows, ${dataset.nFeatures} features, ${dataset.task}, ${dataset.nTrain} train / ${dataset.nVal} val\n`);
      const grid = gridSize ? ` | grid: ${formatGridSize(gridSize)}` : '';
      out.write(`workers: ${workers}${grid} | trials: up to ${target}\n`);
      if (interactive) {
        bar = new cliProgress.SingleBar(
          { format: 'trials {bar} {value}/{total} | running {running} | best {best} | ETA {eta_formatted}', hideCursor: true, etaBuffer: 8 },
          cliProgress.Presets.shades_classic,
        );
        bar.start(target, Math.min(existing, target), { running: 0, best: '-' });
        // Under the bar: each running trial's epoch and last score.
        live = new RunningTrialsView(out, metric, study.maxEpochs);
        live.attach(bar);
      }
    },
    onTrialStart(trial, rerun) {
      if (!rerun) return;
      const why = rerun === 'stale' ? 'its process was lost' : `retry ${trial.retries} of a failed trial`;
      const line = `trial ${trial.number} runs again (${why}), same params\n`;
      // On a terminal the bar owns the line; a re-run shows in its counts instead.
      if (!bar) out.write(line);
    },
    onEpoch(trial, record) {
      live?.epoch(trial, record);
    },
    onTrialEnd(trial, progress) {
      live?.end(trial.number);
      if (bar) {
        bar.increment(1, { running: progress.running, best: bestText(progress.best) });
        return;
      }
      const score = trial.score === null ? '-' : formatScore(trial.score);
      const time = trial.durationMs === null ? '' : ` ${(trial.durationMs / 1000).toFixed(1)}s`;
      const error = trial.error ? ` error: ${trial.error.split('\n')[0]}` : '';
      const verdict = trial.diagnostics && trial.diagnostics.verdict.kind !== 'healthy' ? ` | ${describeVerdict(trial.diagnostics.verdict)}` : '';
      const pruned = trial.pruned ? ` | pruned at epoch ${trial.pruned.epoch}: ${trial.pruned.rule}` : '';
      out.write(`trial ${trial.number} ${trial.status} ${metric}=${score} epochs=${trial.epochsRun}${time} | ${before + progress.finished}/${total} | best ${bestText(progress.best)}${verdict}${pruned}${error}\n`);
    },
    stop() {
      live?.clear();
      bar?.stop();
    },
  };
}
