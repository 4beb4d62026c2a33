// paramsKey of the configurations in a trial history, computed once per configuration:
// an oracle asks over every trial of the study at each ask, and at 10,000 trials
// re-serialising each configuration every time would cost more than the ask itself.
// A trial's params never change once stored (the store hands out equal summaries for
// unchanged trials, and a re-run keeps its params), so a key cached by object stays right.
import { paramsKey } from '../space/params.js';
import type { Params } from '../space/types.js';

const keys = new WeakMap<Params, string>();

/** paramsKey(params) for params that are never mutated (a stored trial's, a grid combination's). */
export function storedParamsKey(params: Params): string {
  let key = keys.get(params);
  if (key === undefined) {
    key = paramsKey(params);
    keys.set(params, key);
  }
  return key;
}

/**
 * The configurations of a study's trials, kept between asks by an oracle: each ask looks
 * at every trial but computes keys only for trials it has not seen (a study's trials are
 * numbered once each and keep their params). Any history that is not the last one grown
 * (a trial missing, other params under a number) is read afresh, so the answer is always
 * that of the history given.
 */
export class TriedConfigurations {
  private byNumber: ({ params: Params; key: string } | undefined)[] = [];
  private seen = 0;
  private keys = new Set<string>();

  /** The keys of the configurations of `trials`, whatever their status. */
  of(trials: readonly { number: number; params: Params }[]): ReadonlySet<string> {
    for (const t of trials) {
      const known = this.byNumber[t.number];
      if (known !== undefined && known.params === t.params) continue;
      const key = storedParamsKey(t.params);
      if (known !== undefined && known.key !== key) return this.afresh(trials);
      if (known === undefined) this.seen++;
      this.byNumber[t.number] = { params: t.params, key };
      this.keys.add(key);
    }
    return this.seen === trials.length ? this.keys : this.afresh(trials);
  }

  private afresh(trials: readonly { number: number; params: Params }[]): ReadonlySet<string> {
    this.byNumber = [];
    this.seen = 0;
    this.keys = new Set();
    for (const t of trials) {
      const key = storedParamsKey(t.params);
      if (this.byNumber[t.number] === undefined) this.seen++;
      this.byNumber[t.number] = { params: t.params, key };
      this.keys.add(key);
    }
    return this.keys;
  }
}
