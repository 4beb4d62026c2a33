// Where a trial comes from: the trial it continues (a Hyperband promotion), its place in
// the algorithm's schedule, and the epochs it trained. Epochs are numbered across a chain
// of promotions, so a trial that continues another trains, say, epochs 10 to 27: every
// report says so, so that a promoted trial never looks like a copy of its parent and a
// best epoch of 23 is never read against 18 epochs run.
import type { ScheduleSlot } from '../oracle/oracle.js';
import type { TrialRecord } from '../store/store.js';

/** The epochs a trial trained: after `from` (its parent's epochs, 0 for a fresh trial) up to `to`. */
export interface EpochRange {
  from: number;
  to: number;
}

export function epochRange(trial: TrialRecord): EpochRange {
  const from = trial.fromEpoch ?? 0;
  return { from, to: from + trial.epochsRun };
}

/** `3→9`: as `gradtune plan` writes a round, the epoch it starts from and the one it reaches. */
export function formatEpochRange(trial: TrialRecord): string {
  const { from, to } = epochRange(trial);
  return `${from}→${to}`;
}

/**
 * `epochs 4–9` (the epochs trained, numbered across the chain) or `epoch 4`; `no epoch`
 * when the trial stopped before its first one ended.
 */
export function describeEpochsTrained(trial: TrialRecord): string {
  const { from, to } = epochRange(trial);
  if (to === from) return 'no epoch';
  return to === from + 1 ? `epoch ${to}` : `epochs ${from + 1}–${to}`;
}

/** True when some trial continues another: the study's reports show lineage. */
export function hasLineage(trials: readonly TrialRecord[]): boolean {
  return trials.some((t) => t.parent !== null || (t.fromEpoch ?? 0) > 0);
}

/**
 * The fields of the trials' schedule slots, in first-seen order. The slot is the
 * algorithm's (Hyperband: iteration, bracket, round; another algorithm may have rungs),
 * so reports read its fields rather than knowing them.
 */
export function slotFields(trials: readonly TrialRecord[]): string[] {
  const fields: string[] = [];
  for (const t of trials) {
    for (const key of Object.keys(t.slot ?? {})) if (!fields.includes(key)) fields.push(key);
  }
  return fields;
}

/**
 * The slot fields worth showing in a table: those that differ between trials (a single
 * Hyperband iteration is always iteration 0). All of them when none differs.
 */
export function varyingSlotFields(trials: readonly TrialRecord[]): string[] {
  const fields = slotFields(trials);
  const slots = trials.map((t) => t.slot).filter((s): s is ScheduleSlot => s !== null);
  const slotValue = (s: ScheduleSlot, f: string) => (s as unknown as Record<string, unknown>)[f];
  const varying = fields.filter((f) => slots.some((s) => slotValue(s, f) !== slotValue(slots[0], f)));
  return varying.length > 0 ? varying : fields;
}

function slotValue(slot: ScheduleSlot, field: string): string {
  const value = (slot as unknown as Record<string, unknown>)[field];
  return value === undefined || value === null ? '' : String(value);
}

/** A slot as a table cell, its fields' values joined by `/` (the header joins the names alike). */
export function formatSlotCell(slot: ScheduleSlot | null, fields: readonly string[]): string {
  return slot === null ? '' : fields.map((f) => slotValue(slot, f)).join('/');
}

/** A slot in words: `bracket 1, round 2` (`iteration 0` left out when it is the only one). */
export function describeSlot(slot: ScheduleSlot, fields: readonly string[] = Object.keys(slot)): string {
  return fields.map((f) => `${f} ${slotValue(slot, f)}`).join(', ');
}

/**
 * The chain of trials this one continues, oldest first, ending with the trial itself.
 * Stops at a parent missing from `trials` (never loops, even on a damaged store).
 */
export function ancestry(trial: TrialRecord, trials: readonly TrialRecord[]): TrialRecord[] {
  const byNumber = new Map(trials.map((t) => [t.number, t]));
  const chain = [trial];
  const seen = new Set([trial.number]);
  for (let t = trial; t.parent !== null; ) {
    const parent = byNumber.get(t.parent);
    if (!parent || seen.has(parent.number)) break;
    chain.unshift(parent);
    seen.add(parent.number);
    t = parent;
  }
  return chain;
}

/** `trial 3 (0→1) → trial 9 (1→3) → trial 13 (3→9)`. */
export function describeAncestry(chain: readonly TrialRecord[]): string {
  return chain.map((t) => `trial ${t.number} (${formatEpochRange(t)})`).join(' → ');
}

/** The first line of an error, for a table cell or a summary: the stack is in `report --trial`. */
export function firstLine(text: string | null): string {
  if (text === null) return '';
  return text.split('\n', 1)[0].trim();
}
