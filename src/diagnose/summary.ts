// The study-wide view of the findings: how many trials had each problem, what those
// trials had in common ("11 of 70 trials vanished; 9 of them had activation sigmoid or
// tanh and layers >= 4"), and the remedy their spaces offered most. The pattern is the
// condition on one or two parameters that best tells the trials with the finding from the
// others (the F1 score of that split), among value sets for words and thresholds for
// numbers; none is given when no condition does better than chance.
import type { ParamValue, Params } from '../space/types.js';
import type { TrialRecord } from '../store/store.js';
import type { Finding, FindingKind } from '../train/diagnostics-types.js';
import { FINDING_KINDS } from '../train/diagnostics-types.js';

export interface FindingPattern {
  /** `activation sigmoid or tanh and layers >= 4` */
  text: string;
  /** Trials with the finding that match it. */
  matched: number;
  /** Trials without the finding that match it too. */
  othersMatched: number;
}

export interface FindingSummary {
  kind: FindingKind;
  /** Trials with the finding. */
  trials: number;
  /** Of them, rejected because of it. */
  rejected: number;
  /** Trials judged (finished with diagnostics). */
  of: number;
  pattern: FindingPattern | null;
  /** The cure proposed first most often, and for how many of the trials. */
  remedy: { cure: string; trials: number } | null;
  /** Repairs (--repair) of trials with this finding, and how many of them completed. */
  repairs: { tried: number; completed: number };
}

/** One test on a trial's params, with its words. */
interface Atom {
  param: string;
  text: string;
  test: (value: ParamValue | undefined) => boolean;
}

/** Numeric thresholds at no more than this many values per parameter (quantiles). */
const MAX_THRESHOLDS = 8;

function atomsFor(name: string, values: ParamValue[]): Atom[] {
  const distinct = [...new Set(values)];
  if (distinct.length < 2) return [];
  if (distinct.every((v) => typeof v === 'number')) {
    const sorted = (distinct as number[]).sort((a, b) => a - b);
    const step = Math.max(1, Math.floor(sorted.length / MAX_THRESHOLDS));
    const cuts = sorted.filter((_, i) => i % step === 0);
    // Three significant digits are enough to say where a threshold lies.
    const show = (v: number) => String(Number(v.toPrecision(3)));
    return cuts.flatMap((v) => [
      ...(v !== sorted[0] ? [{ param: name, text: `${name} >= ${show(v)}`, test: (x: ParamValue | undefined) => typeof x === 'number' && x >= v }] : []),
      ...(v !== sorted[sorted.length - 1] ? [{ param: name, text: `${name} <= ${show(v)}`, test: (x: ParamValue | undefined) => typeof x === 'number' && x <= v }] : []),
    ]);
  }
  const singles = distinct.map((v) => ({ param: name, text: `${name} ${String(v)}`, test: (x: ParamValue | undefined) => x === v }));
  const pairs: Atom[] = [];
  if (distinct.length > 2) {
    for (let i = 0; i < distinct.length; i++) {
      for (let j = i + 1; j < distinct.length; j++) {
        const [a, b] = [distinct[i], distinct[j]];
        pairs.push({ param: name, text: `${name} ${String(a)} or ${String(b)}`, test: (x) => x === a || x === b });
      }
    }
  }
  return [...singles, ...pairs];
}

/** Trials as bits, 32 to a word: a study of thousands of trials is split in milliseconds. */
function bitset(flags: readonly boolean[]): Uint32Array {
  const words = new Uint32Array(Math.ceil(flags.length / 32));
  flags.forEach((f, i) => {
    if (f) words[i >>> 5] |= 1 << (i & 31);
  });
  return words;
}

function popcount(x: number): number {
  let v = x - ((x >>> 1) & 0x55555555);
  v = (v & 0x33333333) + ((v >>> 2) & 0x33333333);
  return (((v + (v >>> 4)) & 0x0f0f0f0f) * 0x01010101) >>> 24;
}

/** The best one- or two-parameter condition separating `positive` trials from the rest. */
export function findPattern(params: readonly Params[], positive: readonly boolean[]): FindingPattern | null {
  const n = params.length;
  const positives = positive.filter(Boolean).length;
  if (positives < 2 || positives === n) return null;
  const names = [...new Set(params.flatMap((p) => Object.keys(p)))];
  const atoms = names.flatMap((name) => atomsFor(name, params.flatMap((p) => (Object.hasOwn(p, name) ? [p[name]] : []))));
  const pos = bitset(positive);
  const masks = atoms.map((a) => bitset(params.map((p) => a.test(p[a.param]))));
  let best: { f1: number; parts: number; tp: number; fp: number; text: string } | undefined;
  const consider = (a: Uint32Array, b: Uint32Array | undefined, text: string, parts: number) => {
    let tp = 0;
    let all = 0;
    for (let w = 0; w < a.length; w++) {
      const m = b ? a[w] & b[w] : a[w];
      all += popcount(m);
      tp += popcount(m & pos[w]);
    }
    const fp = all - tp;
    // Better than chance: the condition is commoner among the trials with the finding.
    if (tp < 2 || tp / all <= positives / n) return;
    const f1 = (2 * tp) / (2 * tp + fp + (positives - tp));
    // A second condition has to earn its place: 0.02 of F1 over the best single one.
    const margin = best && parts > best.parts ? 0.02 : 1e-12;
    if (!best || f1 > best.f1 + margin || (Math.abs(f1 - best.f1) <= 1e-12 && parts === best.parts && tp > best.tp)) {
      best = { f1, parts, tp, fp, text };
    }
  };
  atoms.forEach((a, i) => consider(masks[i], undefined, a.text, 1));
  for (let i = 0; i < atoms.length; i++) {
    for (let j = i + 1; j < atoms.length; j++) {
      if (atoms[i].param !== atoms[j].param) consider(masks[i], masks[j], `${atoms[i].text} and ${atoms[j].text}`, 2);
    }
  }
  return best ? { text: best.text, matched: best.tp, othersMatched: best.fp } : null;
}

const judged = (t: TrialRecord) => (t.status === 'completed' || t.status === 'rejected') && t.diagnostics !== null;

function findingsOf(t: TrialRecord): Finding[] {
  const d = t.diagnostics;
  if (!d) return [];
  if (d.findings) return d.findings;
  // Recorded before findings were: the verdict is the only one.
  return d.verdict.kind === 'healthy' ? [] : [{ kind: d.verdict.kind, summary: '', epochs: { from: 1, to: 1 }, layers: [], figures: {}, thresholds: {}, rejects: true }];
}

/** Per finding that occurred, in FINDING_KINDS order. */
export function summariseFindings(trials: readonly TrialRecord[]): FindingSummary[] {
  const pool = trials.filter(judged);
  const out: FindingSummary[] = [];
  for (const kind of FINDING_KINDS) {
    const has = pool.map((t) => findingsOf(t).find((f) => f.kind === kind));
    const count = has.filter(Boolean).length;
    if (count === 0) continue;
    const rejected = pool.filter((t, i) => has[i] && t.status === 'rejected' && (t.diagnostics?.rejectedBy ?? t.diagnostics?.verdict.kind) === kind).length;
    const cures = new Map<string, number>();
    for (const f of has) {
      const first = f?.remedies?.[0];
      if (first) cures.set(first.cure, (cures.get(first.cure) ?? 0) + 1);
    }
    const top = [...cures.entries()].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))[0];
    const withIt = new Set(pool.filter((_, i) => has[i]).map((t) => t.number));
    const repairs = trials.filter((t) => t.repairOf !== null && withIt.has(t.repairOf));
    out.push({
      kind,
      trials: count,
      rejected,
      of: pool.length,
      pattern: findPattern(
        pool.map((t) => t.params),
        has.map(Boolean),
      ),
      remedy: top ? { cure: top[0], trials: top[1] } : null,
      repairs: { tried: repairs.length, completed: repairs.filter((t) => t.status === 'completed').length },
    });
  }
  return out;
}

const VERBS: Record<FindingKind, string> = {
  vanishing: 'vanished',
  exploding: 'exploded',
  'slow-training': 'trained slowly',
  overfitting: 'overfit',
  'dead-units': 'had dead ReLU units',
  saturation: 'saturated',
};

/**
 * `11 of 70 trials vanished (11 rejected); 9 of them had activation sigmoid or tanh and
 * layers >= 4 (2 of the other 59 did); first remedy: ReLU-family activation (9 trials);
 * repaired 5 times, 4 completed`.
 */
export function describeFindingSummary(s: FindingSummary): string {
  const parts = [`${s.trials} of ${s.of} trials ${VERBS[s.kind]}${s.rejected > 0 ? ` (${s.rejected} rejected)` : ''}`];
  if (s.pattern) {
    const others = s.of - s.trials;
    parts.push(`${s.pattern.matched} of them had ${s.pattern.text} (${s.pattern.othersMatched} of the other ${others} did)`);
  }
  if (s.remedy) parts.push(`first remedy: ${s.remedy.cure} (${s.remedy.trials} trial${s.remedy.trials === 1 ? '' : 's'})`);
  if (s.repairs.tried > 0) parts.push(`repaired ${s.repairs.tried} time${s.repairs.tried === 1 ? '' : 's'}, ${s.repairs.completed} completed`);
  return parts.join('; ');
}
