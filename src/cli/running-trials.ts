// The running trials under the progress bar on a terminal: one line each with its current
// epoch and its last score, drawn below the bar after each redraw of the bar and after
// each epoch, then the cursor goes back up to the bar's line (relative moves, so a
// terminal that scrolls keeps them in place).
import type { EventEmitter } from 'node:events';
import { formatScore } from '../report/columns.js';
import type { TrialSummary } from '../store/store.js';
import type { EpochRecord } from '../train/types.js';

/** What a running trial's line shows. */
export interface RunningTrial {
  number: number;
  /** The epoch it has just finished (numbered across a chain of promotions). */
  epoch: number;
  /** The epoch it trains to. */
  toEpoch: number;
  /** The trial it continues, for a promotion. */
  parent: number | null;
  /** The objective at its last epoch; null when not a finite number. */
  score: number | null;
}

/** `  trial 12  epoch 7/27  val_accuracy 0.9123` (a promotion: `(continues #4)`). */
export function formatRunningTrial(t: RunningTrial, metric: string): string {
  const continues = t.parent === null ? '' : `  (continues #${t.parent})`;
  return `  trial ${t.number}  epoch ${t.epoch}/${t.toEpoch}  ${metric} ${t.score === null ? '-' : formatScore(t.score)}${continues}`;
}

/** The lines of the running trials that have finished an epoch, in trial order. */
export function runningTrialLines(trials: Iterable<RunningTrial>, metric: string, width = Infinity): string[] {
  return [...trials].sort((a, b) => a.number - b.number).map((t) => {
    const line = formatRunningTrial(t, metric);
    return line.length > width ? line.slice(0, Math.max(0, width - 1)) + '…' : line;
  });
}

const ESC = '\x1b[';

export class RunningTrialsView {
  private readonly trials = new Map<number, RunningTrial>();
  private drawn = 0;
  private active = false;

  constructor(
    private readonly out: NodeJS.WriteStream,
    private readonly metric: string,
    private readonly maxEpochs: number,
  ) {}

  /** Draws the lines after every redraw of `bar` (a cli-progress bar). */
  attach(bar: EventEmitter): void {
    this.active = true;
    bar.on('redraw-post', () => this.draw());
  }

  epoch(trial: TrialSummary, record: EpochRecord): void {
    const value = record[this.metric];
    this.trials.set(trial.number, {
      number: trial.number,
      epoch: record.epoch,
      toEpoch: trial.toEpoch ?? this.maxEpochs,
      parent: trial.parent,
      score: typeof value === 'number' && Number.isFinite(value) ? value : null,
    });
    this.draw();
  }

  end(number: number): void {
    if (this.trials.delete(number)) this.draw();
  }

  /** Clears the lines (before the bar stops and the summary is printed). */
  clear(): void {
    if (this.active && this.drawn > 0) this.out.write(`\n${ESC}J${ESC}1A`);
    this.drawn = 0;
    this.active = false;
  }

  /** Below the bar's line: each line, what a longer earlier list left cleared, back up to the bar. */
  private draw(): void {
    if (!this.active || (this.trials.size === 0 && this.drawn === 0)) return;
    const lines = runningTrialLines(this.trials.values(), this.metric, (this.out.columns || 80) - 1);
    let text = '';
    for (const line of lines) text += `\n\r${line}${ESC}K`;
    // Clear below: from the line after the last one written (or after the bar).
    text += `\n${ESC}J${ESC}${lines.length + 1}A`;
    this.out.write(text);
    this.drawn = lines.length;
  }
}
