// One study as the dashboard follows it: the trials read once, then per poll only what
// changed in the store (trials whose seq moved, epochs reported since a cursor), and the
// page's views kept up to date from them. A poll of a quiet 10,000-trial study reads one
// row (the study's seq) and one empty range of epochs.
import { createHash } from 'node:crypto';
import { isGradtuneError } from '../errors.js';
import {
  leaders,
  lightTrialView,
  studyAggregates,
  trialView,
  type LightTrialView,
  type ReportData,
  type StudyAggregates,
  type TrialView,
} from '../report/html/build-report-data.js';
import { describeStudyDataset, type DatasetDescription } from '../report/html/dataset.js';
import { bestText, headerFacts, STATUS_ORDER, type HeaderFacts } from '../report/html/header.js';
import { renderSections, type SectionInput } from '../report/html/render-html.js';
import { rankTrials } from '../report/rank.js';
import type { Store, StudyRecord, TrialRecord, TrialStatus } from '../store/store.js';

/** What changed since a version the page holds. */
export interface LiveUpdate {
  version: number;
  /** Trials changed since: full views for running trials and the ones the page shows, light views otherwise. */
  trials: Array<TrialView | LightTrialView>;
  best: number | null;
  top: number[];
  /** The study-wide views, when they were recomputed since. */
  aggregates?: StudyAggregates;
  /** Every section's HTML and hash, when some section's text changed since the page's. */
  sections?: SectionHtml[];
  sectionsHash: string;
}

export interface SectionHtml {
  id: string;
  hash: string;
  html: string;
}

/** Why a study's page can no longer be updated (it is shown as gone, not as an error). */
export interface Gone {
  reason: string;
}

export interface LiveStudyOptions {
  /** The header's dataset line; default: read from the study's data once. */
  dataset?: DatasetDescription;
  /**
   * The study-wide views (importance, rejections, Hyperband rungs, the header's facts)
   * take time proportional to the study (about a second at 10,000 trials): they are
   * recomputed at most once per this many times their last cost, so they never take
   * more than 1/N of a core from the search beside them. Default 50.
   */
  slowBudget?: number;
  /** Finished trials' curves kept whole for the page (the rest are fetched when shown). Default 500. */
  fullViewCache?: number;
}

/** A kept record without what only a trial's own charts need (its full history and per-epoch gradients). */
function slim(t: TrialRecord): TrialRecord {
  if (t.status === 'running') return t;
  return {
    ...t,
    // The last epoch says which metrics were recorded and how far the trial got: all that
    // the study-wide views read from a history.
    history: t.history.length > 1 ? [t.history[t.history.length - 1]] : t.history,
    diagnostics: t.diagnostics ? { ...t.diagnostics, epochs: [] } : null,
  };
}

/** Element by element, as the page compares sort keys. */
function compareKeys(a: readonly number[], b: readonly number[]): number {
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const d = (a[i] ?? 0) - (b[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

function hash(text: string): string {
  return createHash('sha256').update(text).digest('base64url').slice(0, 16);
}

export class LiveStudy {
  /** Bumped by every refresh that saw a change; pages poll with the version they hold. */
  version = 0;
  gone: Gone | undefined;
  private readonly records = new Map<number, TrialRecord>();
  private readonly views = new Map<number, LightTrialView>();
  private readonly hasGradients = new Set<number>();
  private readonly changedAt = new Map<number, number>();
  private readonly full = new Map<number, TrialView>();
  private seq = 0;
  private epochCursor = 0;
  private ranking: Pick<ReportData, 'best' | 'top'> = { best: null, top: [] };
  private slow: { version: number; aggregates: StudyAggregates; header: HeaderFacts; cost: number; at: number } | undefined;
  private sections: { version: number; list: SectionHtml[]; hash: string } | undefined;
  private dataset: DatasetDescription | undefined;
  private refreshing: Promise<void> | undefined;
  private readonly slowBudget: number;
  private readonly fullViewCache: number;

  constructor(
    private readonly store: Store,
    readonly study: StudyRecord,
    private readonly options: LiveStudyOptions = {},
  ) {
    this.dataset = options.dataset;
    this.slowBudget = options.slowBudget ?? 50;
    this.fullViewCache = options.fullViewCache ?? 500;
  }

  /**
   * Brings the views up to date with the store. Polls that arrive while one refresh runs
   * share it: ten open pages cost the store what one does.
   */
  refresh(): Promise<void> {
    this.refreshing ??= this.read().finally(() => (this.refreshing = undefined));
    return this.refreshing;
  }

  private async read(): Promise<void> {
    if (this.gone) return;
    const now = await this.store.getStudy(this.study.name);
    if (!now || now.id !== this.study.id) {
      this.gone = { reason: now ? 'a new study of the same name has replaced it in the store.' : 'it was deleted from the store.' };
      return;
    }
    let changed: TrialRecord[];
    let seq: number;
    let epochs: Awaited<ReturnType<Store['epochsSince']>>;
    try {
      // The first read brings every trial: light (curves cut in the database), as slim()
      // keeps them anyway; later polls bring few, whole, for their full views.
      ({ trials: changed, seq } = await this.store.changedTrials(this.study.id, this.seq, { light: this.seq === 0 }));
      epochs = await this.store.epochsSince(this.study.id, this.epochCursor);
    } catch (err) {
      // Deleted between the two reads: the store says so in one line.
      if (isGradtuneError(err) && !(await this.store.getStudy(this.study.name))) {
        this.gone = { reason: 'it was deleted from the store.' };
        return;
      }
      throw err;
    }
    // Running trials that reported epochs and did not change otherwise: their curves grew.
    const seen = new Set(changed.map((t) => t.number));
    const grown = [...new Set(epochs.epochs.map((e) => e.number))].filter((n) => !seen.has(n) && this.records.get(n)?.status === 'running');
    if (grown.length > 0) changed = changed.concat(await this.store.trials(this.study.id, grown));
    this.seq = seq;
    this.epochCursor = epochs.cursor;
    if (changed.length === 0) return;
    const version = this.version + 1;
    // Full views are made for what a page is likely to draw next: running trials (their
    // curves grow) and the few trials a poll brings; not for the 10,000 of a first read.
    const fullFor = (t: TrialRecord) => t.status === 'running' || (this.version > 0 && changed.length <= 50);
    for (const t of changed) this.records.set(t.number, slim(t));
    // Where a --repair trial finds the trial it repairs (its params, not its curves).
    const all = [...this.records.values()];
    for (const t of changed) {
      this.views.set(t.number, lightTrialView(this.study, t, null, all));
      if ((t.diagnostics?.epochs.length ?? 0) > 0) this.hasGradients.add(t.number);
      this.changedAt.set(t.number, version);
      this.full.delete(t.number);
      if (fullFor(t)) this.full.set(t.number, trialView(this.study, t, null, all));
    }
    // The most recently changed trials keep their full views (a Map iterates in insertion order).
    for (const n of this.full.keys()) {
      if (this.full.size <= this.fullViewCache) break;
      this.full.delete(n);
    }
    this.ranking = this.leaders();
    this.version = version;
  }

  /**
   * The best trial and the top few, by the trials' sort keys (rankTrials' order): one pass
   * that keeps the best few, instead of sorting 10,000 trials on every change.
   */
  private leaders(): Pick<ReportData, 'best' | 'top'> {
    const TOP = 3;
    const top: LightTrialView[] = [];
    for (const v of this.views.values()) {
      if (v.sortKey[0] !== 0) continue;
      if (top.length === TOP && compareKeys(v.sortKey, top[TOP - 1].sortKey) >= 0) continue;
      top.push(v);
      top.sort((a, b) => compareKeys(a.sortKey, b.sortKey));
      if (top.length > TOP) top.pop();
    }
    return leaders(top.map((v, i) => ({ rank: i + 1, n: v.n })));
  }

  /** The study-wide views, recomputed when the trials changed and the budget allows (or never computed). */
  private slowViews(): NonNullable<LiveStudy['slow']> {
    const due = this.slow === undefined || (this.slow.version < this.version && performance.now() - this.slow.at >= this.slow.cost * this.slowBudget);
    if (due) {
      const start = performance.now();
      const trials = [...this.records.values()].sort((a, b) => a.number - b.number);
      this.dataset ??= describeStudyDataset(this.study);
      const aggregates = studyAggregates(this.study, trials);
      const header = headerFacts(this.study, trials, this.dataset);
      const end = performance.now();
      this.slow = { version: this.version, aggregates, header, cost: end - start, at: end };
    }
    return this.slow!;
  }

  /** Trials per status now, and the `best` row now: the header's facts that must never lag. */
  private liveHeader(header: HeaderFacts): HeaderFacts {
    const counts = new Map<TrialStatus, number>();
    for (const t of this.records.values()) counts.set(t.status, (counts.get(t.status) ?? 0) + 1);
    const best = this.ranking.best === null ? null : this.records.get(this.ranking.best)!;
    return {
      rows: header.rows.map((r) => (r.label === 'best' ? { ...r, value: bestText(this.study, best && best.score !== null ? { number: best.number, score: best.score } : null) } : r)),
      counts: STATUS_ORDER.filter((s) => counts.has(s)).map((status) => ({ status, count: counts.get(status)! })),
      total: this.records.size,
    };
  }

  private sectionInput(aggregates: StudyAggregates): SectionInput {
    let anyHistory = false;
    for (const v of this.views.values()) if (v.hasHistory) anyHistory = true;
    return { data: { ...aggregates, ...this.ranking }, trialCount: this.records.size, anyHistory, anyGradients: this.hasGradients.size > 0 };
  }

  private currentSections(): NonNullable<LiveStudy['sections']> {
    if (this.sections?.version !== this.version) {
      const slow = this.slowViews();
      const list = renderSections(this.sectionInput(slow.aggregates), this.liveHeader(slow.header), null).map((s) => ({ ...s, hash: hash(s.html) }));
      this.sections = { version: this.version, list, hash: hash(list.map((s) => s.hash).join(',')) };
    }
    return this.sections;
  }

  /** What the page holding `since` needs; `show`: the trials whose curves it draws. */
  update(since: number, sectionsHash: string, show: ReadonlySet<number>): LiveUpdate {
    const sections = this.currentSections();
    const slow = this.slowViews();
    const trials: Array<TrialView | LightTrialView> = [];
    if (since < this.version) {
      for (const [n, at] of this.changedAt) {
        if (at <= since) continue;
        const full = this.records.get(n)!.status === 'running' || show.has(n) ? this.full.get(n) : undefined;
        trials.push(full ?? this.views.get(n)!);
      }
    }
    return {
      version: this.version,
      trials,
      ...this.ranking,
      ...(slow.version > since ? { aggregates: slow.aggregates } : {}),
      ...(sectionsHash !== sections.hash ? { sections: sections.list } : {}),
      sectionsHash: sections.hash,
    };
  }

  /** Everything a new page starts from: every trial (light views, in leaderboard order), the views and the sections. */
  async snapshot(): Promise<{ data: ReportData; header: HeaderFacts; sections: SectionInput; sectionList: SectionHtml[]; sectionsHash: string }> {
    const slow = this.slowViews();
    const sections = this.currentSections();
    const ranked = rankTrials(this.study, [...this.records.values()]);
    // The best trials' curves are drawn at once: sent whole, not fetched after.
    const full = new Map((await this.fullViews(this.ranking.top)).map((v) => [v.n, v]));
    const trials = ranked.map((r) => ({ ...(full.get(r.trial.number) ?? this.views.get(r.trial.number)!), rank: r.rank }) as TrialView);
    return {
      data: { ...slow.aggregates, trials, ...this.ranking },
      header: this.liveHeader(slow.header),
      sections: this.sectionInput(slow.aggregates),
      sectionList: sections.list,
      sectionsHash: sections.hash,
    };
  }

  /** Full views (curves, gradients) of the trials asked for, read from the store. */
  async fullViews(numbers: readonly number[]): Promise<TrialView[]> {
    const cached = numbers.map((n) => this.full.get(n)).filter((v): v is TrialView => v !== undefined);
    const missing = numbers.filter((n) => !this.full.has(n) && this.records.has(n));
    const read = missing.length === 0 ? [] : await this.store.trials(this.study.id, missing);
    const all = [...this.records.values()];
    return [...cached, ...read.map((t) => trialView(this.study, t, null, all))];
  }
}
