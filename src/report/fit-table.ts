// A leaderboard table as wide as the terminal: long free text (gradient verdicts, errors)
// is shortened first, then the least important columns are left out, and the caller says
// which in a footer. Widths are read off the table cli-table3 draws, so they are the
// ones it measures (wide characters included), not a second guess.
import type { Column } from './leaderboard-columns.js';
import { textTable, type Grid } from './render.js';

export interface FittedTable {
  /** The columns kept, in order. */
  columns: Column[];
  /** Their widths, borders' padding included (cli-table3's colWidths). */
  widths: number[];
  /** Headers of the columns left out, and of those whose text was shortened. */
  leftOut: string[];
  shortened: string[];
  /** The table drawn whole, reused as is when nothing had to change. */
  whole: string;
}

/** The width of each column of a drawn table, padding included, read from its top border. */
export function drawnWidths(drawn: string): number[] {
  const top = drawn.split('\n', 1)[0];
  return [...top.slice(1, -1).split('┬')].map((segment) => [...segment].length);
}

/** The width of a table whose columns have these widths: the columns and their borders. */
export function tableWidth(widths: readonly number[]): number {
  return widths.reduce((sum, w) => sum + w, 0) + widths.length + 1;
}

/**
 * Fits `grid` (one cell per column of `columns`) into `width` characters. Nothing changes
 * when it already fits. Otherwise free-text columns shrink to their minimum, then columns
 * go by `dropOrder` until the table fits or only the ones never dropped are left (a table
 * narrower than those is drawn anyway: rank, trial and score are the leaderboard).
 */
export function fitTable(columns: readonly Column[], grid: Grid, width: number): FittedTable {
  const whole = textTable(grid);
  const natural = drawnWidths(whole);
  const widths = [...natural];
  const kept = columns.map(() => true);
  const current = () => tableWidth(widths.filter((_, i) => kept[i]));
  const shrinkable = columns
    .map((c, i) => ({ c, i }))
    .filter(({ c }) => c.minWidth !== undefined)
    // The one left out sooner gives up its width first.
    .sort((a, b) => (a.c.dropOrder ?? Infinity) - (b.c.dropOrder ?? Infinity));
  const shrink = () => {
    for (const { c, i } of shrinkable) {
      if (!kept[i]) continue;
      const excess = current() - width;
      if (excess <= 0) return;
      // + 2: the cell's padding.
      widths[i] = Math.max(c.minWidth! + 2, widths[i] - excess);
    }
  };
  shrink();
  const byDrop = columns
    .map((c, i) => ({ c, i }))
    .filter(({ c }) => c.dropOrder !== undefined)
    .sort((a, b) => a.c.dropOrder! - b.c.dropOrder!);
  for (const { i } of byDrop) {
    if (current() <= width) break;
    kept[i] = false;
  }
  // Room freed by a column left out goes back to the text shortened before it.
  for (const { i } of [...shrinkable].reverse()) {
    if (!kept[i]) continue;
    widths[i] = Math.min(natural[i], widths[i] + Math.max(0, width - current()));
  }
  const keptIndexes = columns.map((_, i) => i).filter((i) => kept[i]);
  return {
    columns: keptIndexes.map((i) => columns[i]),
    widths: keptIndexes.map((i) => widths[i]),
    leftOut: columns.filter((_, i) => !kept[i]).map((c) => c.header),
    shortened: keptIndexes.filter((i) => widths[i] < natural[i]).map((i) => columns[i].header),
    whole,
  };
}

/**
 * The line drawn over the hyperparameter columns, `┌─ hyperparameters ──┐`, its corners
 * over the borders of the table below; empty when the table has no parameter column.
 */
export function groupLine(columns: readonly Column[], widths: readonly number[], label = 'hyperparameters'): string {
  const first = columns.findIndex((c) => c.param);
  if (first < 0) return '';
  // Parameters are the last columns: the group runs to the table's right border.
  const offset = tableWidth(widths.slice(0, first)) - 1;
  const span = tableWidth(widths.slice(first)) - 2;
  const text = span >= label.length + 3 ? label : span >= 'params'.length + 3 ? 'params' : '';
  const inner = text === '' ? '─'.repeat(span) : `─ ${text} ${'─'.repeat(span - text.length - 3)}`;
  return `${' '.repeat(offset)}┌${inner}┐`;
}
