/**
 * Plain decimal numbers only ("3", "-0.5", "1e-3", ".5"). `Number()` alone is too lenient
 * for data: it reads "" and " " as 0, "0x1A" as 26 and accepts "Infinity", which would
 * silently turn a missing or malformed cell into a value.
 */
const DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

/** The number a CSV cell holds, or undefined when it is not a plain finite decimal. */
export function parseNumber(cell: string): number | undefined {
  const text = cell.trim();
  if (!DECIMAL.test(text)) return undefined;
  const value = Number(text);
  return Number.isFinite(value) ? value : undefined;
}
