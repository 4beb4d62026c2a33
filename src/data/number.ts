/**
 * Plain decimal numbers only ("3", "-0.5", "1e-3", ".5"). `Number()` alone is too lenient
 * for data: it reads "" and " " as 0, "0x1A" as 26 and accepts "Infinity", which would
 * silently turn a missing or malformed cell into a value.
 */
const DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

/** Spellings of infinity that spreadsheets and numpy write. */
const INFINITY = /^[+-]?(inf|infinity)$/i;

/** The number a CSV cell holds, or undefined when it is not a plain finite decimal. */
export function parseNumber(cell: string): number | undefined {
  const text = cell.trim();
  if (!DECIMAL.test(text)) return undefined;
  const value = Number(text);
  return Number.isFinite(value) ? value : undefined;
}

/**
 * A cell that means a number which is not finite: "inf", "-Infinity", or a decimal beyond
 * float64 ("1e400"). Such a cell is a data problem to report, not a category.
 */
export function isNonFiniteNumber(cell: string): boolean {
  const text = cell.trim();
  return INFINITY.test(text) || (DECIMAL.test(text) && !Number.isFinite(Number(text)));
}

/**
 * The largest magnitude float32 holds. tfjs computes in float32, and an exported model is
 * used in float32: a value beyond this is not representable there at all.
 */
export const FLOAT32_MAX = 3.4028234663852886e38;
