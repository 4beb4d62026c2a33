// Things about the data a user should hear before spending a search on it, but that are
// not errors: one line each, printed by the CLI on stderr as `gradtune: warning: ...`.
import type { RawColumn } from './columns.js';
import { abbreviate } from './select.js';

/** Below this many validation rows a score moves by whole percents when one row flips. */
export const MIN_VALIDATION_ROWS = 30;
/** Below this many validation rows of a class, that class's share of the score is a coin toss. */
export const MIN_VALIDATION_ROWS_PER_CLASS = 5;
/** An id column is only called one when there are enough rows for "unique" to mean something. */
const MIN_ROWS_FOR_ID = 20;

export function tinyValidationWarnings(opts: {
  nVal: number;
  rows: number;
  valSplit: number;
  /** Classification: the class labels and the validation rows' label indices. */
  classes?: readonly string[];
  valLabels?: readonly number[];
}): string[] {
  const out: string[] = [];
  const fix = 'use more data or a larger --val-split';
  if (opts.nVal < MIN_VALIDATION_ROWS) {
    out.push(`the validation split has only ${opts.nVal} row${opts.nVal === 1 ? '' : 's'} (--val-split ${opts.valSplit} of ${opts.rows}): scores on it are noisy and trials will be hard to tell apart; ${fix}`);
  }
  // A split too small overall is said once; per class only when the split is not.
  if (opts.classes && opts.valLabels && out.length === 0) {
    const counts = new Array<number>(opts.classes.length).fill(0);
    for (const l of opts.valLabels) counts[l]++;
    const few = opts.classes.filter((_, c) => counts[c] < MIN_VALIDATION_ROWS_PER_CLASS);
    if (few.length > 0) {
      const shown = few.map((c) => `"${c}" ${counts[opts.classes!.indexOf(c)]}`);
      out.push(`${few.length === 1 ? 'a class has' : `${few.length} classes have`} fewer than ${MIN_VALIDATION_ROWS_PER_CLASS} validation rows (${abbreviate(shown)}): the score says little about ${few.length === 1 ? 'it' : 'them'}; ${fix}`);
    }
  }
  return out;
}

/**
 * A feature that holds a different value in every row is an identifier, not a property:
 * a model can only memorise it. Integers are called an id when they also run through a
 * range about as long as the file (1..n with gaps), which a measured quantity does not;
 * text with a distinct value per row (names, UUIDs) always.
 */
export function idColumnWarnings(columns: readonly RawColumn[], rows: number): string[] {
  if (rows < MIN_ROWS_FOR_ID) return [];
  const out: string[] = [];
  for (const column of columns) {
    if (column.missing > 0) continue;
    const fix = `leave it out with --ignore ${column.name}, or name it with --id ${column.name} to carry it into predictions`;
    if (column.kind === 'categorical') {
      if (column.texts.length === rows) out.push(`column "${column.name}" has a different value in every row, like an identifier; as a feature it lets the model memorise rows: ${fix}`);
      continue;
    }
    let min = Infinity;
    let max = -Infinity;
    let integral = true;
    for (const v of column.values) {
      if (!Number.isInteger(v)) {
        integral = false;
        break;
      }
      if (v < min) min = v;
      if (v > max) max = v;
    }
    // Fewer integers in the range than rows: some must repeat (pigeonhole), no Set needed.
    if (!integral || max - min + 1 > 2 * rows || max - min + 1 < rows) continue;
    if (new Set(column.values).size !== rows) continue;
    out.push(`column "${column.name}" has a different integer in every row (${min}..${max}), like a row id; as a feature it lets the model memorise rows: ${fix}`);
  }
  return out;
}

/** Columns whose features are the same in every training row: nothing to learn from. */
export function constantColumnWarning(names: readonly string[]): string[] {
  if (names.length === 0) return [];
  const what = names.length === 1 ? `column "${names[0]}" has` : `${names.length} columns have`;
  const list = names.length === 1 ? '' : ` (${abbreviate(names)})`;
  return [`${what} the same value in every training row${list}, so ${names.length === 1 ? 'it' : 'they'} cannot help the model; leave ${names.length === 1 ? 'it' : 'them'} out with --ignore`];
}
