// Hyperband (Li et al., 2018) as Keras Tuner runs it, as a pure oracle: the next trial
// follows from the schedule (brackets of successive-halving rounds), the seed and the
// trial history alone.
//
// - Round 0 of a bracket starts fresh configurations, drawn from (seed, iteration,
//   bracket, slot) — not from the trial number — so the same seed gives the same
//   configurations whatever the number of workers.
// - Round r > 0 promotes the best of round r - 1: a promoted trial is a new trial whose
//   parent is the one it continues, from the parent's best-epoch checkpoint, training
//   from the previous round's epoch count to this round's. A trial is promoted as soon as
//   it is sure to be in the top group: fewer trials than the slots left could still beat
//   it. Rejected and failed trials are never promoted.
// - Brackets run from the most exploratory to the least; when nothing in one bracket can
//   run (its round waits for results), the next bracket starts rather than leaving
//   workers idle.
import seedrandom from 'seedrandom';
import { sampleParams } from '../space/define.js';
import { paramsKey } from '../space/params.js';
import { storedParamsKey } from './trial-keys.js';
import { randomDecider } from '../space/sample.js';
import { hyperbandSchedule } from './hyperband-schedule.js';
import type { SearchSpaceDefinition } from '../space/types.js';
import type { StudyRecord, TrialSummary } from '../store/store.js';
import type { Decision, ScheduleSlot, SyncOracle } from './oracle.js';

export interface HyperbandOptions {
  maxEpochs: number;
  factor: number;
  iterations?: number;
  /** Redraws of an already tried configuration before a round-0 slot gives up. */
  maxCollisions?: number;
}

const slotKey = (s: ScheduleSlot) => `${s.iteration}:${s.bracket}:${s.round}`;

/** A trial whose result a promotion can use: completed, with a finite score. */
function succeeded(t: TrialSummary): boolean {
  return t.status === 'completed' && t.score !== null && Number.isFinite(t.score);
}

/**
 * Statuses that hold a slot. The store re-runs a stale trial (it lost its process) in its
 * own slot before asking the oracle; an oracle used on another store that does not, still
 * gets the slot back.
 */
function holdsSlot(t: TrialSummary): boolean {
  return t.status !== 'stale';
}

export function hyperbandOracle(space: SearchSpaceDefinition, opts: HyperbandOptions): SyncOracle {
  const schedule = hyperbandSchedule({ maxEpochs: opts.maxEpochs, factor: opts.factor, iterations: opts.iterations ?? 1 });
  const maxCollisions = opts.maxCollisions ?? 50;

  return {
    next(study: StudyRecord, trials: readonly TrialSummary[]): Decision {
      const bySlot = new Map<string, TrialSummary[]>();
      for (const t of trials) {
        if (!t.slot || !holdsSlot(t)) continue;
        const key = slotKey(t.slot);
        const here = bySlot.get(key);
        if (here) here.push(t);
        else bySlot.set(key, [t]);
      }
      // A stale trial gives its slot back, configuration included: it is drawn again.
      const tried = new Set(trials.filter((t) => t.parent === null && holdsSlot(t)).map((t) => storedParamsKey(t.params)));
      const better = (a: TrialSummary, b: TrialSummary) =>
        a.score !== b.score ? (study.objective.direction === 'max' ? b.score! - a.score! : a.score! - b.score!) : a.number - b.number;

      for (const bracket of schedule.brackets) {
        // A round's size as far as it can be filled: the schedule's, unless the space ran
        // out of fresh configurations (round 0) or the previous round, settled, had fewer
        // successes to promote. Without it a short round would keep the next one waiting.
        let previousSize = 0;
        for (const [r, round] of bracket.rounds.entries()) {
          const slot: ScheduleSlot = { iteration: bracket.iteration, bracket: bracket.bracket, round: r };
          const here = bySlot.get(slotKey(slot)) ?? [];
          if (r === 0) {
            if (here.length < round.trials) {
              const params = drawFresh(space, study.seed, slot, here.length, tried, maxCollisions);
              if (params) return { kind: 'run', params, fromEpoch: 0, toEpoch: round.toEpoch, slot };
            }
            previousSize = Math.min(round.trials, here.length);
            continue;
          }
          // Promotion from the previous round.
          const previous = bracket.rounds[r - 1];
          const before = bySlot.get(slotKey({ ...slot, round: r - 1 })) ?? [];
          const finished = before.filter((t) => t.status !== 'running');
          const ranked = finished.filter(succeeded).sort(better);
          // Trials of the previous round still running or not yet started could beat anyone.
          const pending = Math.max(0, previousSize - finished.length);
          const size = pending === 0 ? Math.min(round.trials, ranked.length) : round.trials;
          if (here.length < size) {
            const promoted = new Set(here.map((t) => t.parent));
            const index = ranked.findIndex((t) => !promoted.has(t.number));
            if (index >= 0 && index + pending < round.trials) {
              const parent = ranked[index];
              return { kind: 'run', params: parent.params, parent: parent.number, fromEpoch: previous.toEpoch, toEpoch: round.toEpoch, slot };
            }
          }
          previousSize = size;
        }
      }
      if (trials.some((t) => t.status === 'running')) return { kind: 'wait' };
      return { kind: 'done', reason: `the Hyperband schedule is complete (${schedule.brackets.length} brackets, max ${opts.maxEpochs} epochs, factor ${opts.factor})` };
    },
  };
}

/**
 * A fresh configuration for round-0 slot `index` of a bracket, from (seed, slot, index)
 * only; a configuration already tried is drawn again. Undefined when the space seems
 * exhausted (the slot stays empty; the rest of the schedule goes on).
 */
function drawFresh(space: SearchSpaceDefinition, seed: number, slot: ScheduleSlot, index: number, tried: Set<string>, maxCollisions: number) {
  for (let attempt = 0; attempt < maxCollisions; attempt++) {
    const rng = seedrandom(`${seed}:hyperband:${slot.iteration}:${slot.bracket}:${index}:${attempt}`);
    const params = sampleParams(space, randomDecider(rng));
    if (!tried.has(paramsKey(params))) return params;
  }
  return undefined;
}
