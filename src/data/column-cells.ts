// One CSV column as it streams in, kept compact: its cells as numbers (NaN where a cell is
// not one), plus the text of the cells whose text cannot be told from the number, as
// codes into a dictionary of distinct texts. A column of plain numbers costs 8 bytes a
// row; text columns 12. What a column *is* (numeric or categorical) is decided once every
// row has been seen (src/data/columns.ts).
import { isMissing } from './missing.js';
import { FLOAT32_MAX, isNonFiniteNumber, parseNumber } from './number.js';

/** The code of a numeric cell whose text is the number's own spelling (`String(value)`). */
export const CANONICAL = -1;
/** The code of a numeric cell whose text was not kept (see NUMERIC_TEXT_CAP). */
export const UNKNOWN = -2;

/**
 * Distinct spellings of numbers other than their own ("1.50", "1e6", "007") kept per
 * column. Only a column that turns out to be categories needs them (and the error
 * messages that quote a cell); past this a column is almost surely a measured quantity,
 * and keeping them would cost a string per row. If such a column turns out categorical
 * after all, its texts are read again from the file (load.ts).
 */
export const NUMERIC_TEXT_CAP = 4096;

class Growable<T extends Float64Array | Int32Array | Uint32Array> {
  data: T;
  length = 0;
  constructor(private readonly make: (n: number) => T, initial = 1024) {
    this.data = make(initial);
  }
  push(value: number): void {
    if (this.length === this.data.length) {
      const bigger = this.make(this.data.length * 2);
      bigger.set(this.data);
      this.data = bigger;
    }
    this.data[this.length++] = value;
  }
  /** The pushed values, in an array of exactly their length. */
  trimmed(): T {
    return (this.length === this.data.length ? this.data : this.data.slice(0, this.length)) as T;
  }
}

export const growableF64 = () => new Growable((n) => new Float64Array(n));
export const growableU32 = () => new Growable((n) => new Uint32Array(n));

/** A finished column: what src/data/columns.ts decides from. */
export interface CellColumn {
  name: string;
  /** Index in the file's header. */
  index: number;
  rows: number;
  /** Each cell's number, NaN where the cell is not a plain finite decimal. */
  values: Float64Array;
  /** Per row: an index into `texts`, CANONICAL, or UNKNOWN; absent when every cell is CANONICAL. */
  codes: Int32Array | undefined;
  texts: string[];
  /** Some numeric cell's text is UNKNOWN. */
  lost: boolean;
  /** Cells holding a plain number, or the spelling of one that is not finite ("inf", "1e400"). */
  numbers: number;
  /** Cells that are words: neither numbers nor missing. */
  words: number;
  missing: number;
  /** First row (0-based) of each kind of cell worth an error message, -1 when none. */
  firstWord: number;
  firstNonFinite: number;
  firstMissing: number;
  /** First row whose number is beyond float32. */
  firstTooLarge: number;
}

export class ColumnCells {
  private readonly values = growableF64();
  private codes: Growable<Int32Array> | undefined;
  private readonly texts: string[] = [];
  private readonly lookup = new Map<string, number>();
  private numericTexts = 0;
  /** Cells coded because they are not numbers (missing, words, non-finite): their codes must stay. */
  private otherCoded = 0;
  private lost = false;
  private rows = 0;
  private numbers = 0;
  private words = 0;
  private missing = 0;
  private firstWord = -1;
  private firstNonFinite = -1;
  private firstMissing = -1;
  private firstTooLarge = -1;

  /** `keepAll`: keep every cell's text (a column given to --categorical, or read again for its texts). */
  constructor(
    readonly name: string,
    readonly index: number,
    private readonly keepAll = false,
  ) {}

  add(cell: string): void {
    const row = this.rows++;
    const number = parseNumber(cell);
    if (number !== undefined) {
      this.values.push(number);
      this.numbers++;
      if (this.firstTooLarge < 0 && Math.abs(number) > FLOAT32_MAX) this.firstTooLarge = row;
      if (!this.keepAll) {
        if (String(number) === cell) {
          this.code(row, CANONICAL);
          return;
        }
        // The spellings of numbers are no longer kept, and no codes are either.
        if (this.lost && !this.codes) return;
        if (!this.lookup.has(cell) && this.numericTexts >= NUMERIC_TEXT_CAP) {
          this.loseNumericTexts(row);
          return;
        }
      }
      const before = this.texts.length;
      this.code(row, this.codeOf(cell));
      if (this.texts.length > before) this.numericTexts++;
      return;
    }
    this.values.push(Number.NaN);
    if (isMissing(cell)) {
      this.missing++;
      if (this.firstMissing < 0) this.firstMissing = row;
    } else if (isNonFiniteNumber(cell)) {
      this.numbers++;
      if (this.firstNonFinite < 0) this.firstNonFinite = row;
    } else {
      this.words++;
      if (this.firstWord < 0) this.firstWord = row;
    }
    this.otherCoded++;
    this.code(row, this.codeOf(cell));
  }

  finish(): CellColumn {
    return {
      name: this.name,
      index: this.index,
      rows: this.rows,
      values: this.values.trimmed(),
      codes: this.codes?.trimmed(),
      texts: this.texts,
      lost: this.lost,
      numbers: this.numbers,
      words: this.words,
      missing: this.missing,
      firstWord: this.firstWord,
      firstNonFinite: this.firstNonFinite,
      firstMissing: this.firstMissing,
      firstTooLarge: this.firstTooLarge,
    };
  }

  private codeOf(text: string): number {
    let code = this.lookup.get(text);
    if (code === undefined) {
      code = this.texts.length;
      this.texts.push(text);
      this.lookup.set(text, code);
    }
    return code;
  }

  private code(row: number, code: number): void {
    if (!this.codes) {
      if (code === CANONICAL) return;
      this.codes = new Growable((n) => new Int32Array(n));
      // Rows before this one were canonical numbers, or (after loseNumericTexts) unknown.
      for (let r = 0; r < row; r++) this.codes.push(this.lost ? UNKNOWN : CANONICAL);
    }
    this.codes.push(code);
  }

  /** Too many spellings of numbers: stop keeping them (and the codes, if nothing else needs them). */
  private loseNumericTexts(row: number): void {
    this.lost = true;
    // Every code so far is a number's: they go, and every row's text is unknown from here.
    if (this.otherCoded === 0) this.codes = undefined;
    else this.code(row, UNKNOWN);
  }
}

/** The text of a cell, when known; `undefined` for a number whose spelling was not kept. */
export function cellText(column: CellColumn, row: number): string | undefined {
  const code = column.codes ? column.codes[row] : column.lost ? UNKNOWN : CANONICAL;
  if (code >= 0) return column.texts[code];
  return code === CANONICAL ? String(column.values[row]) : undefined;
}

/** For messages: the cell's text, or its number's spelling when the text was not kept. */
export function shownText(column: CellColumn, row: number): string {
  return cellText(column, row) ?? String(column.values[row]);
}
