// The per-epoch objective values of a study's trials, as pruners read them, kept up to
// date incrementally: the store feeds it the epochs stored since its last read and the
// trial summaries that changed, so a pruner's decision costs the same at 10 trials and at
// 10,000 (no read of the whole study, no sort of every trial's values per decision).
//
// A trial's values are those of its current attempt (a re-run starts from nothing) and of
// its first run (a trial that trains several runs, executions or folds, is judged by its
// first: the others run only if it goes on).

/** What pruners read: per-epoch values of the study's trials. */
export interface EpochValues {
  /** A trial's objective value per epoch (NaN where it was not finite); empty when it reported none. */
  trial(number: number): ReadonlyMap<number, number>;
  /**
   * The finite values at `epoch` of every trial that reported that epoch, whatever its
   * status (running, pruned, completed...), ascending. The trial being judged is among
   * them: its epoch is stored before the pruner is asked.
   */
  reached(epoch: number): readonly number[];
  /**
   * The values at `epoch` of the completed trials: the finite ones ascending, and how many
   * completed trials reported the epoch at all (non-finite values included).
   */
  completed(epoch: number): { values: readonly number[]; reported: number };
  /** How many trials of the study have completed. */
  readonly completedTrials: number;
}

/** An epoch row as the index reads it (no record). */
export interface EpochValueRow {
  id: number;
  number: number;
  attempt: number;
  run: number;
  epoch: number;
  value: number | null;
}

interface TrialValues {
  attempt: number;
  values: Map<number, number>;
  completed: boolean;
}

const EMPTY: ReadonlyMap<number, number> = new Map();
const NONE: readonly number[] = [];

/** Index of the first element of `sorted` >= `value`. */
function lowerBound(sorted: readonly number[], value: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid] < value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function insertSorted(sorted: number[], value: number): void {
  sorted.splice(lowerBound(sorted, value), 0, value);
}

function removeSorted(sorted: number[], value: number): void {
  const i = lowerBound(sorted, value);
  if (sorted[i] === value) sorted.splice(i, 1);
}

export class EpochValuesIndex implements EpochValues {
  /** The id of the last epoch row read: the next read starts after it. */
  cursor = 0;
  completedTrials = 0;
  private readonly byTrial = new Map<number, TrialValues>();
  private readonly reachedAt = new Map<number, number[]>();
  private readonly completedAt = new Map<number, { values: number[]; reported: number }>();

  trial(number: number): ReadonlyMap<number, number> {
    return this.byTrial.get(number)?.values ?? EMPTY;
  }

  reached(epoch: number): readonly number[] {
    return this.reachedAt.get(epoch) ?? NONE;
  }

  completed(epoch: number): { values: readonly number[]; reported: number } {
    return this.completedAt.get(epoch) ?? { values: NONE, reported: 0 };
  }

  /** Epoch rows stored since the cursor, in id order. */
  addRows(rows: readonly EpochValueRow[]): void {
    for (const row of rows) {
      this.cursor = Math.max(this.cursor, row.id);
      if (row.run !== 0) continue;
      const entry = this.entry(row.number, row.attempt);
      // An earlier attempt's epoch, read late: the trial has started again since.
      if (row.attempt < entry.attempt) continue;
      if (row.attempt > entry.attempt) this.restart(entry, row.attempt);
      if (entry.values.has(row.epoch)) continue;
      const value = row.value === null || !Number.isFinite(row.value) ? NaN : row.value;
      entry.values.set(row.epoch, value);
      if (!Number.isNaN(value)) insertSorted(this.listAt(this.reachedAt, row.epoch), value);
      if (entry.completed) this.addCompleted(row.epoch, value);
    }
  }

  /** A trial summary that changed (handed out again, finished). */
  updateTrial(trial: { number: number; attempt: number; status: string }): void {
    const entry = this.entry(trial.number, trial.attempt);
    if (trial.attempt > entry.attempt) this.restart(entry, trial.attempt);
    if (trial.attempt !== entry.attempt || entry.completed || trial.status !== 'completed') return;
    entry.completed = true;
    this.completedTrials++;
    for (const [epoch, value] of entry.values) this.addCompleted(epoch, value);
  }

  private entry(number: number, attempt: number): TrialValues {
    let entry = this.byTrial.get(number);
    if (!entry) {
      entry = { attempt, values: new Map(), completed: false };
      this.byTrial.set(number, entry);
    }
    return entry;
  }

  /** The trial runs again under a new attempt: its earlier values no longer count. */
  private restart(entry: TrialValues, attempt: number): void {
    for (const [epoch, value] of entry.values) {
      if (!Number.isNaN(value)) removeSorted(this.listAt(this.reachedAt, epoch), value);
      if (entry.completed) {
        const at = this.completedAt.get(epoch)!;
        at.reported--;
        if (!Number.isNaN(value)) removeSorted(at.values, value);
      }
    }
    if (entry.completed) this.completedTrials--;
    entry.values = new Map();
    entry.attempt = attempt;
    entry.completed = false;
  }

  private addCompleted(epoch: number, value: number): void {
    let at = this.completedAt.get(epoch);
    if (!at) {
      at = { values: [], reported: 0 };
      this.completedAt.set(epoch, at);
    }
    at.reported++;
    if (!Number.isNaN(value)) insertSorted(at.values, value);
  }

  private listAt(map: Map<number, number[]>, epoch: number): number[] {
    let list = map.get(epoch);
    if (!list) {
      list = [];
      map.set(epoch, list);
    }
    return list;
  }
}
