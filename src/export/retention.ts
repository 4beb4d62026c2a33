// Which trials keep their checkpoint (best-epoch weights) under --keep-checkpoints N: the
// N best completed trials, by the objective — what export can still write — plus every
// trial an algorithm may still continue. Pure: a function of the study and its trials.
//
// Hyperband continues a trial by promoting it into the next round of its bracket, from
// its checkpoint. A trial's checkpoint is no longer needed once that decision is final:
//   - its round is the last of its bracket (nothing promotes out of it); or
//   - a trial continuing it has finished (the oracle never promotes a parent twice; a
//     running or stale continuation may be run again, from the same checkpoint); or
//   - its round and the next are settled: every slot the oracle will fill in them is
//     filled by a finished trial, so no promotion into the next round is left to make.
// A round is settled when the rounds before it are, it holds as many trials as the oracle
// gives it (round 0: the schedule's count; later rounds: the schedule's count, or fewer
// when the round before had fewer successes — src/oracle/hyperband.ts computes the
// same), and all of them are finished. A failed trial counts as unfinished unless told
// otherwise: a search run with retries may run it again, and if it then succeeds it
// can change which trials its round promotes.
//
// ASHA (src/oracle/asha.ts) promotes from any rung below the top at any time: a completed
// trial there may be promoted as long as the search goes on, so its checkpoint is kept
// until a trial continuing it has finished, or the search has reached its --max-trials
// (no promotion can come after that).
import { isHyperbandSlot, type HyperbandSlot } from '../oracle/oracle.js';
import { ashaRungs } from '../oracle/asha.js';
import { hyperbandSchedule, type ScheduledBracket } from '../oracle/hyperband-schedule.js';
import { rankTrials } from '../report/rank.js';
import type { StudyRecord, TrialSummary } from '../store/store.js';

export interface RetentionOptions {
  /** Keep the checkpoints of this many best completed trials (>= 0). */
  keep: number;
  /** Whether a failed trial is final (no retries will run it again). Default false: keep what a retry could need. */
  failedIsFinal?: boolean;
}

/** The numbers of the trials whose checkpoints must be kept; every other trial's may be dropped. */
export function checkpointsToKeep(study: StudyRecord, trials: readonly TrialSummary[], opts: RetentionOptions): Set<number> {
  const keep = new Set<number>();
  let best = 0;
  for (const r of rankTrials(study, trials)) {
    if (r.rank === null || best >= opts.keep) break;
    keep.add(r.trial.number);
    best++;
  }
  for (const n of stillNeeded(study, trials, opts.failedIsFinal ?? false)) keep.add(n);
  return keep;
}

/** Completed trials an algorithm may still continue from their checkpoints. */
export function stillNeeded(study: StudyRecord, trials: readonly TrialSummary[], failedIsFinal: boolean): number[] {
  const final = (t: TrialSummary) => t.status === 'completed' || t.status === 'rejected' || t.status === 'pruned' || (failedIsFinal && t.status === 'failed');
  const finishedChild = new Set(trials.filter((c) => c.parent !== null && c.status !== 'stale' && final(c)).map((c) => c.parent!));
  if (study.algorithm === 'asha') return ashaStillNeeded(study, trials, finishedChild);
  if (study.algorithm !== 'hyperband') return [];
  const completed = trials.filter((t) => t.status === 'completed');
  const brackets = hyperbandBrackets(study);
  // Settings that cannot be read: nothing is known to be final, so everything is kept.
  if (!brackets) return completed.map((t) => t.number);

  const inSlot = new Map<string, TrialSummary[]>();
  for (const t of trials) {
    // A stale trial gives its slot back: it is not one of the slot's trials.
    if (!isHyperbandSlot(t.slot) || t.status === 'stale') continue;
    const key = `${t.slot.iteration}:${t.slot.bracket}:${t.slot.round}`;
    inSlot.set(key, [...(inSlot.get(key) ?? []), t]);
  }
  const settledRounds = new Map<string, number>();
  const settledIn = (b: ScheduledBracket): number => {
    const key = `${b.iteration}:${b.bracket}`;
    let n = settledRounds.get(key);
    if (n === undefined) {
      n = countSettledRounds(b, (r) => inSlot.get(`${key}:${r}`) ?? [], final);
      settledRounds.set(key, n);
    }
    return n;
  };

  const needed: number[] = [];
  for (const t of completed) {
    if (!isHyperbandSlot(t.slot)) continue;
    const slot: HyperbandSlot = t.slot;
    const bracket = brackets.find((b) => b.iteration === slot.iteration && b.bracket === slot.bracket);
    if (!bracket) {
      needed.push(t.number); // not in the schedule as we read it: keep, to be safe
      continue;
    }
    const round = slot.round;
    if (round >= bracket.rounds.length - 1) continue;
    if (finishedChild.has(t.number)) continue;
    if (settledIn(bracket) >= round + 2) continue;
    needed.push(t.number);
  }
  return needed;
}

/** ASHA: completed trials below the top rung that a promotion may still continue. */
function ashaStillNeeded(study: StudyRecord, trials: readonly TrialSummary[], finishedChild: ReadonlySet<number>): number[] {
  const settings = study.settings as { asha?: { factor?: unknown; minEpochs?: unknown }; maxTrials?: unknown };
  const candidates = trials.filter((t) => succeeded(t) && t.slot?.kind === 'asha');
  let top: number;
  try {
    const asha = settings.asha;
    top = ashaRungs({ maxEpochs: study.maxEpochs, factor: Number(asha?.factor), minEpochs: Number(asha?.minEpochs) }).length - 1;
  } catch {
    return candidates.map((t) => t.number); // settings that cannot be read: keep, to be safe
  }
  // Once the search has reached its --max-trials no new promotion comes; a continuation
  // already handed out (running, or to be run again) still needs its parent's weights.
  const maxTrials = typeof settings.maxTrials === 'number' ? settings.maxTrials : Infinity;
  const ended = trials.filter((t) => t.status !== 'stale').length >= maxTrials;
  const continued = new Set(trials.filter((c) => c.parent !== null).map((c) => c.parent!));
  return candidates
    .filter((t) => t.slot!.kind === 'asha' && t.slot!.rung < top && !finishedChild.has(t.number) && (!ended || continued.has(t.number)))
    .map((t) => t.number);
}

/** How many leading rounds of the bracket are settled (see the top of this file). */
function countSettledRounds(bracket: ScheduledBracket, members: (round: number) => TrialSummary[], final: (t: TrialSummary) => boolean): number {
  for (const [r, round] of bracket.rounds.entries()) {
    const here = members(r);
    // After a settled round the oracle promotes min(schedule, successes) trials.
    const size = r === 0 ? round.trials : Math.min(round.trials, members(r - 1).filter(succeeded).length);
    if (here.length < size || !here.every(final)) return r;
  }
  return bracket.rounds.length;
}

/** As the oracle counts them: a trial that can be promoted. */
function succeeded(t: TrialSummary): boolean {
  return t.status === 'completed' && t.score !== null && Number.isFinite(t.score);
}

/** The study's Hyperband schedule, from its stored settings; undefined when they cannot be read. */
function hyperbandBrackets(study: StudyRecord): ScheduledBracket[] | undefined {
  const hb = study.settings.hyperband as { factor?: unknown; iterations?: unknown } | undefined;
  if (!hb || typeof hb.factor !== 'number' || typeof hb.iterations !== 'number') return undefined;
  try {
    return hyperbandSchedule({ maxEpochs: study.maxEpochs, factor: hb.factor, iterations: hb.iterations }).brackets;
  } catch {
    return undefined;
  }
}
