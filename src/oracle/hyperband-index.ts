// What the Hyperband oracle looks up at every ask — the trials holding each slot, the
// configurations already tried, which brackets changed — kept between asks and brought up
// to date from what changed in the history. A history grows by new trials and by trials
// whose outcome changes (status, score, attempt); comparing those with what the index saw
// finds the few that changed, so an ask at 10,000 trials does not rebuild maps of 10,000
// trials. A list that is not such a successor (shorter, another trial under a number) is
// indexed afresh, so the index always describes the history it was given. (A trial's
// number, params, slot and parent never change.)
import type { TrialSummary } from '../store/store.js';
import { isHyperbandSlot, type HyperbandSlot } from './oracle.js';
import { storedParamsKey } from './trial-keys.js';

/** Numeric keys: no string per trial per ask. Brackets < 64 (factor >= 2, epochs <= 10^6), rounds < 64. */
export const bracketId = (s: { iteration: number; bracket: number }) => s.iteration * 64 + s.bracket;
export const slotId = (s: HyperbandSlot) => bracketId(s) * 64 + s.round;

/**
 * Statuses that hold a slot. The store re-runs a stale trial (it lost its process) in its
 * own slot before asking the oracle; an oracle used on another store that does not, still
 * gets the slot back, configuration included (it is drawn again).
 */
export function holdsSlot(t: TrialSummary): boolean {
  return t.status !== 'stale';
}

/** What the index took from a trial when it last looked: enough to take it out again, even if the object was changed in place. */
interface Seen {
  trial: TrialSummary;
  status: TrialSummary['status'];
  score: number | null;
  attempt: number;
  /** The configuration's key when it counts as a fresh (round-0) configuration held, else undefined. */
  fresh: string | undefined;
  /** The slot it holds, else undefined. */
  slot: number | undefined;
  bracket: number | undefined;
}

export class HyperbandIndex {
  private seen: Seen[] = [];
  /** The trials holding each slot (any order: the oracle ranks them itself). */
  readonly bySlot = new Map<number, TrialSummary[]>();
  /** Per bracket, a number that changes whenever one of its trials does. */
  readonly version = new Map<number, number>();
  /** Round-0 configurations held, counted: a configuration is tried while its count is positive. */
  private readonly fresh = new Map<string, number>();
  /** Trials running now. */
  running = 0;

  /** The configurations tried: drawn again only when no trial holds them. */
  readonly tried = { has: (key: string) => (this.fresh.get(key) ?? 0) > 0 };

  update(trials: readonly TrialSummary[]): void {
    if (trials.length < this.seen.length) this.reset();
    for (let i = 0; i < trials.length; i++) {
      const t = trials[i];
      const old = this.seen[i];
      // Unchanged: the same object with the same outcome (what can change about a trial).
      if (old !== undefined && old.trial === t && old.status === t.status && Object.is(old.score, t.score) && old.attempt === t.attempt) continue;
      if (old !== undefined && old.trial.number !== t.number) {
        this.reset();
        return this.update(trials);
      }
      if (old !== undefined) this.remove(old);
      this.seen[i] = this.add(t);
    }
  }

  private reset(): void {
    this.seen = [];
    this.bySlot.clear();
    this.fresh.clear();
    this.running = 0;
    // Versions only ever grow, so a memo made before the reset can never match again.
    for (const [k, v] of this.version) this.version.set(k, v + 1);
  }

  private add(t: TrialSummary): Seen {
    const seen: Seen = { trial: t, status: t.status, score: t.score, attempt: t.attempt, fresh: undefined, slot: undefined, bracket: undefined };
    if (t.status === 'running') this.running++;
    if (t.parent === null && holdsSlot(t)) {
      seen.fresh = storedParamsKey(t.params);
      this.fresh.set(seen.fresh, (this.fresh.get(seen.fresh) ?? 0) + 1);
    }
    // ASHA's rungs are not Hyperband's slots.
    if (!isHyperbandSlot(t.slot)) return seen;
    seen.bracket = bracketId(t.slot);
    this.touch(seen.bracket);
    if (!holdsSlot(t)) return seen;
    seen.slot = slotId(t.slot);
    const here = this.bySlot.get(seen.slot);
    if (here) here.push(t);
    else this.bySlot.set(seen.slot, [t]);
    return seen;
  }

  private remove(seen: Seen): void {
    if (seen.status === 'running') this.running--;
    if (seen.fresh !== undefined) this.fresh.set(seen.fresh, (this.fresh.get(seen.fresh) ?? 0) - 1);
    if (seen.bracket !== undefined) this.touch(seen.bracket);
    if (seen.slot !== undefined) {
      const here = this.bySlot.get(seen.slot)!;
      here.splice(here.indexOf(seen.trial), 1);
    }
  }

  private touch(bracket: number): void {
    this.version.set(bracket, (this.version.get(bracket) ?? 0) + 1);
  }
}
