// Groups of trials by one hyperparameter's value, shared by the importance ranking and
// the rejections-by-value chart so both cut the trials the same way.
import type { ParamValue } from '../../space/types.js';
import { formatParam } from '../columns.js';

export interface ValueGroup {
  /** Identifies the group (values of different types never share one: 1 is not "1"). */
  key: string;
  /** For people: the value, a range of values `1e-3–0.02`, or `(absent)`. */
  label: string;
  /** Where the group goes on an axis: numbers ascending, then words, then absent. */
  order: number;
}

/** Absent sorts after every value: a conditional parameter that was not reached. */
const ABSENT: ValueGroup = { key: 'absent', label: '(absent)', order: Number.MAX_SAFE_INTEGER };

/**
 * The group of each value. Strings, booleans and numbers with at most `maxBins` distinct
 * values group by value; a number sampled from a range (a learning rate) would put every
 * trial in a group of its own, so its values are split into `maxBins` equal-count bins by
 * rank (equal values always share a bin). `undefined` (the parameter was not reached in
 * that trial) is a group of its own.
 */
export function valueGroups(values: ReadonlyArray<ParamValue | undefined>, maxBins: number): ValueGroup[] {
  if (!(Number.isInteger(maxBins) && maxBins >= 2)) throw new Error(`maxBins must be a whole number >= 2, got ${maxBins}`);
  const present = values.filter((v): v is ParamValue => v !== undefined);
  const distinct = [...new Set(present)];
  const numeric = present.length > 0 && present.every((v) => typeof v === 'number');
  if (!numeric || distinct.length <= maxBins) {
    // Numbers ascending, then false before true, then words alphabetically.
    const sorted = distinct.slice().sort((a, b) => {
      const rank = (v: ParamValue) => (typeof v === 'number' ? 0 : typeof v === 'boolean' ? 1 : 2);
      if (rank(a) !== rank(b)) return rank(a) - rank(b);
      if (typeof a === 'number' && typeof b === 'number') return a - b;
      return String(a).localeCompare(String(b));
    });
    const groups = new Map(sorted.map((v, i): [ParamValue, ValueGroup] => [v, { key: `${typeof v}:${String(v)}`, label: formatParam(v), order: i }]));
    return values.map((v) => (v === undefined ? ABSENT : groups.get(v)!));
  }
  const sorted = (present as number[]).slice().sort((a, b) => a - b);
  // The rank of a value's first occurrence, so equal values always land in the same bin.
  const firstRank = new Map<number, number>();
  sorted.forEach((v, i) => {
    if (!firstRank.has(v)) firstRank.set(v, i);
  });
  const binOf = (v: number) => Math.floor((firstRank.get(v)! * maxBins) / sorted.length);
  // Each bin's label is the range of the values that fell into it.
  const ranges = new Map<number, [number, number]>();
  for (const v of sorted) {
    const b = binOf(v);
    const r = ranges.get(b);
    ranges.set(b, r ? [r[0], v] : [v, v]);
  }
  const label = ([lo, hi]: [number, number]) => (lo === hi ? formatParam(lo) : `${formatParam(lo)}–${formatParam(hi)}`);
  // One group object per bin, labelled once: a 10,000-trial study has 10,000 values per
  // parameter but only `maxBins` labels to write.
  const groups = new Map([...ranges].map(([b, range]): [number, ValueGroup] => [b, { key: `bin:${b}`, label: label(range), order: b }]));
  return values.map((v) => (v === undefined ? ABSENT : groups.get(binOf(v as number))!));
}
