// Hyperband (Li et al., 2018) as Keras Tuner runs it, as a pure oracle: the next trial
// follows from the schedule (brackets of successive-halving rounds), the seed and the
// trial history alone.
//
// - Round 0 of a bracket starts fresh configurations, drawn from (seed, iteration,
//   bracket, slot) — not from the trial number — so the same seed gives the same
//   configurations whatever the number of workers (with the random sampler; a
//   model-based one also reads the history, BOHB-style).
// - Round r > 0 promotes the best of round r - 1: a promoted trial is a new trial whose
//   parent is the one it continues, from the parent's best-epoch checkpoint, training
//   from the previous round's epoch count to this round's. A trial is promoted as soon as
//   it is sure to be in the top group: fewer trials than the slots left could still beat
//   it. Rejected and failed trials are never promoted.
// - Brackets run from the most exploratory to the least; when nothing in one bracket can
//   run (its round waits for results), the next bracket starts rather than leaving
//   workers idle.
import { paramsKey } from '../space/params.js';
import { drawUntried } from '../sampler/draw.js';
import { randomSampler } from '../sampler/random.js';
import type { Sampler } from '../sampler/types.js';
import { HyperbandIndex, bracketId, slotId } from './hyperband-index.js';
import { hyperbandSchedule } from './hyperband-schedule.js';
import type { SearchSpaceDefinition } from '../space/types.js';
import type { StudyRecord, TrialSummary } from '../store/store.js';
import { isHyperbandSlot, type Decision, type HyperbandSlot, type SyncOracle } from './oracle.js';

export interface HyperbandOptions {
  maxEpochs: number;
  factor: number;
  iterations?: number;
  /** Redraws of an already tried configuration before a round-0 slot gives up. */
  maxCollisions?: number;
  /**
   * How round 0's fresh configurations are drawn. Default: random. A model-based sampler
   * reads every trial with its budget (toEpoch) and models the highest budget with
   * enough results, as BOHB does.
   */
  sampler?: Sampler;
}

/** A trial whose result a promotion can use: completed, with a finite score. */
function succeeded(t: TrialSummary): boolean {
  return t.status === 'completed' && t.score !== null && Number.isFinite(t.score);
}

export function hyperbandOracle(space: SearchSpaceDefinition, opts: HyperbandOptions): SyncOracle {
  const schedule = hyperbandSchedule({ maxEpochs: opts.maxEpochs, factor: opts.factor, iterations: opts.iterations ?? 1 });
  const maxCollisions = opts.maxCollisions ?? 50;
  const sampler = opts.sampler ?? randomSampler();

  // Kept between asks, never changing an answer (see hyperband-index.ts): the slots'
  // trials and the configurations tried, brought up to date from what changed; and the
  // brackets found to have nothing left to run, with their version then. At 10,000 trials
  // an ask looks again only at the brackets still in play.
  const index = new HyperbandIndex();
  const settled = new Map<number, number>();

  return {
    next(study: StudyRecord, trials: readonly TrialSummary[]): Decision {
      index.update(trials);
      const { bySlot, tried } = index;
      const better = (a: TrialSummary, b: TrialSummary) =>
        a.score !== b.score ? (study.objective.direction === 'max' ? b.score! - a.score! : a.score! - b.score!) : a.number - b.number;

      for (const bracket of schedule.brackets) {
        const id = bracketId(bracket);
        // Nothing changed in it since it had nothing to run.
        if (settled.has(id) && settled.get(id) === index.version.get(id)) continue;
        // A round's size as far as it can be filled: the schedule's, unless the space ran
        // out of fresh configurations (round 0) or the previous round, settled, had fewer
        // successes to promote. Without it a short round would keep the next one waiting.
        let previousSize = 0;
        for (const [r, round] of bracket.rounds.entries()) {
          const slot: HyperbandSlot = { iteration: bracket.iteration, bracket: bracket.bracket, round: r };
          const here = bySlot.get(slotId(slot)) ?? [];
          if (r === 0) {
            if (here.length < round.trials) {
              const params = drawUntried({
                space,
                sampler,
                direction: study.objective.direction,
                trials,
                tried,
                maxCollisions,
                // From (seed, slot, index) only, never the trial number: with the random
                // sampler the same seed gives the same configurations whatever the workers.
                rngSeed: (attempt) => `${study.seed}:hyperband:${slot.iteration}:${slot.bracket}:${here.length}:${attempt}`,
              });
              if (params) return { kind: 'run', params, fromEpoch: 0, toEpoch: round.toEpoch, slot };
            }
            previousSize = Math.min(round.trials, here.length);
            continue;
          }
          // Promotion from the previous round.
          const previous = bracket.rounds[r - 1];
          const before = bySlot.get(slotId({ ...slot, round: r - 1 })) ?? [];
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
        // With round 0 full, fresh draws play no part: its own trials alone decide that it
        // has nothing to run, until one of them changes.
        const round0 = bySlot.get(slotId({ iteration: bracket.iteration, bracket: bracket.bracket, round: 0 })) ?? [];
        if (round0.length >= bracket.rounds[0].trials) settled.set(id, index.version.get(id) ?? 0);
      }
      if (index.running > 0) return { kind: 'wait' };
      return { kind: 'done', reason: `the Hyperband schedule is complete (${schedule.brackets.length} brackets, max ${opts.maxEpochs} epochs, factor ${opts.factor})` };
    },
  };
}
