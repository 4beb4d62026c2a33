/**
 * JSON for the store's text columns. Plain JSON turns NaN and ±Infinity into null, which
 * would erase exactly what the gradient monitor cares about (a loss that blew up), so
 * values that may legitimately be non-finite are written as the strings "NaN", "Infinity"
 * and "-Infinity" and read back as numbers.
 */

const NON_FINITE: Record<string, number> = {
  NaN: Number.NaN,
  Infinity: Number.POSITIVE_INFINITY,
  '-Infinity': Number.NEGATIVE_INFINITY,
};

function tagNonFinite(_key: string, value: unknown): unknown {
  return typeof value === 'number' && !Number.isFinite(value) ? String(value) : value;
}

function untagNonFinite(_key: string, value: unknown): unknown {
  return typeof value === 'string' && Object.hasOwn(NON_FINITE, value) ? NON_FINITE[value] : value;
}

/**
 * For values whose strings are never "NaN"/"Infinity" in practice (epoch metrics are all
 * numbers; algorithm settings may say `maxTrials: Infinity`).
 */
export function encodeLenient(value: unknown): string {
  return JSON.stringify(value, tagNonFinite);
}

export function decodeLenient<T>(text: string): T {
  // A reviver makes JSON.parse several times slower (it is called for every value), and
  // almost no text holds a tagged value: only those that may are revived. Both tags end
  // in `N"` or `y"` ("NaN", "Infinity", "-Infinity"); a text without them parses the same
  // either way.
  return (text.includes('NaN"') || text.includes('Infinity"') ? JSON.parse(text, untagNonFinite) : JSON.parse(text)) as T;
}

/**
 * For values that may hold arbitrary strings (a choice parameter could be "NaN"), where
 * tagging would be ambiguous: a non-finite number there is a bug, so refuse it rather than
 * store a null.
 */
export function encodeStrict(value: unknown, what: string): string {
  return JSON.stringify(value, (key, v: unknown) => {
    if (typeof v === 'number' && !Number.isFinite(v)) {
      throw new Error(`cannot store ${what}: ${key || 'value'} is ${v}; only finite numbers are allowed`);
    }
    return v;
  });
}

export function decodeStrict<T>(text: string): T {
  return JSON.parse(text) as T;
}
