// The seed of a trial's weights and batch order. It is derived from what identifies the
// trial's work — its configuration and the epochs it trains — never from its number, which
// depends on which worker asked first: the same seed then gives the same results with any
// number of workers and after any kill and resume (a Hyperband promotion decided by a
// race between two workers trains exactly as it would have alone).
import seedrandom from 'seedrandom';
import { paramsKey } from '../space/params.js';
import type { Params } from '../space/types.js';

export function workSeed(studySeed: number, params: Params, fromEpoch: number | null | undefined, toEpoch: number | null | undefined): number {
  return seedrandom(`${studySeed}:work:${paramsKey(params)}:${fromEpoch ?? 0}:${toEpoch ?? 'max'}`).int32() >>> 0;
}

/** How trials stored before seeds were kept were seeded: from (study seed, trial number). */
export function legacyTrialSeed(studySeed: number, trialNumber: number): number {
  return seedrandom(`${studySeed}:trial:${trialNumber}`).int32() >>> 0;
}

/** The seed a trial trained with. */
export function seedOf(studySeed: number, trial: { number: number; seed: number | null }): number {
  return trial.seed ?? legacyTrialSeed(studySeed, trial.number);
}
