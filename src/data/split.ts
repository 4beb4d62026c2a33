import seedrandom from 'seedrandom';
import { GradtuneError } from '../errors.js';

/** Row indices of each split, in a seeded random order. */
export interface Split {
  train: number[];
  val: number[];
}

/** For classification: each row's class index and the number of classes, to stratify on. */
export interface Strata {
  labels: ArrayLike<number>;
  nClasses: number;
}

export function checkValSplit(valSplit: number): void {
  if (!(Number.isFinite(valSplit) && valSplit > 0 && valSplit < 1)) {
    throw new GradtuneError(
      `validation split must be a fraction strictly between 0 and 1 (got ${valSplit}); 0.2 holds out a fifth of the rows`,
    );
  }
}

/**
 * Split rows into train and validation, reproducibly from `seed`. With `strata` each class
 * is split on its own so both sides keep the class proportions (the built-in files are
 * sorted by class, so an unstratified cut could miss a class entirely).
 */
export function splitRows(nRows: number, valSplit: number, seed: number, strata?: Strata): Split {
  checkValSplit(valSplit);
  const rng = seedrandom(String(seed));
  // Validation gets the rounded-up share, as scikit-learn's train_test_split does.
  const nVal = Math.ceil(nRows * valSplit - 1e-9);
  const split: Split = { train: [], val: [] };

  const groups = strata ? groupByClass(strata) : [Array.from({ length: nRows }, (_, i) => i)];
  const quotas = strata ? apportion(groups.map((g) => g.length), nVal, valSplit) : [nVal];
  groups.forEach((group, g) => {
    shuffle(group, rng);
    split.val.push(...group.slice(0, quotas[g]));
    split.train.push(...group.slice(quotas[g]));
  });
  // Otherwise rows would come grouped by class; the order is still a function of the seed.
  shuffle(split.train, rng);
  shuffle(split.val, rng);

  if (split.train.length === 0 || split.val.length === 0) {
    const empty = split.train.length === 0 ? 'training' : 'validation';
    throw new GradtuneError(
      `a validation split of ${valSplit} on ${nRows} rows leaves no ${empty} rows; ` +
        (empty === 'training' ? 'use a smaller validation split' : 'use a larger validation split or more data'),
    );
  }
  return split;
}

function groupByClass({ labels, nClasses }: Strata): number[][] {
  const groups: number[][] = Array.from({ length: nClasses }, () => []);
  for (let i = 0; i < labels.length; i++) groups[labels[i]].push(i);
  return groups;
}

/**
 * How many rows of each class go to validation: `valSplit` of each class, rounded so the
 * total is `total` (largest remainder first, ties to the earlier class), then moved so a
 * class with at least 2 rows has at least one row on each side. That last step may shift
 * the total by a row or two for tiny classes; every class being seen in both splits matters more.
 */
function apportion(sizes: number[], total: number, valSplit: number): number[] {
  const exact = sizes.map((n) => n * valSplit);
  const quotas = exact.map((x) => Math.floor(x + 1e-9));
  let remaining = total - quotas.reduce((a, b) => a + b, 0);
  const remainder = (i: number) => exact[i] - quotas[i];
  // Float noise (36.4 vs 36.400000000000006) must not decide ties; class order does.
  const byRemainder = sizes
    .map((_, i) => i)
    .sort((a, b) => (Math.abs(remainder(b) - remainder(a)) > 1e-9 ? remainder(b) - remainder(a) : a - b));
  for (const i of byRemainder) {
    if (remaining <= 0) break;
    if (quotas[i] < sizes[i]) {
      quotas[i]++;
      remaining--;
    }
  }
  return quotas.map((q, i) => (sizes[i] >= 2 ? Math.min(Math.max(q, 1), sizes[i] - 1) : q));
}

/** Fisher–Yates, in place, driven by the seeded generator. */
function shuffle<T>(items: T[], rng: () => number): void {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(rng() * (i + 1));
    [items[i], items[j]] = [items[j], items[i]];
  }
}
