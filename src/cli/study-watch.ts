// A study deleted under a running search: `gradtune search --overwrite` (or a future
// `gradtune delete`) in another process removes the study and its trials while this
// process still trains them. The store refuses what this process then tries to write
// (ids are never reused, so nothing lands in the study that replaced it), but the search
// would only find out when a trial ends, possibly hours later, and with a store error.
// So the CLI looks every few seconds, on a connection of its own, and ends the search
// with one line as soon as the study it runs is gone. The connection only reads, but is
// opened read-write: it is closed after the search's own, and SQLite's last connection
// to close folds the write-ahead log back into the store file and removes it, which a
// read-only connection cannot do (the search would leave gradtune.db-wal and -shm behind).
import { GradtuneError } from '../errors.js';
import type { StudyRecord } from '../store/store.js';
import { openStore } from '../store/open-store.js';
import type { Store } from '../store/store.js';

/** How often the study's presence is checked. A query on an open connection: negligible. */
export const STUDY_WATCH_MS = 2000;

export class StudyWatch {
  private study: StudyRecord | undefined;
  private timer: NodeJS.Timeout | undefined;
  private store: Store | undefined;
  private gone = false;
  private checking = false;

  constructor(
    private readonly storage: string,
    private readonly onGone: () => void,
    private readonly everyMs = STUDY_WATCH_MS,
  ) {}

  /** The search has opened (or created) its study: from now on it must stay there. */
  started(study: StudyRecord): void {
    this.study = study;
    this.timer = setInterval(() => void this.check(), this.everyMs);
    this.timer.unref();
  }

  /**
   * Whether the study is gone: deleted, or deleted and created again (another id). A store
   * that cannot be read right now (busy) says nothing; the next check will.
   */
  async check(): Promise<boolean> {
    if (this.gone) return true;
    if (!this.study || this.checking) return false;
    this.checking = true;
    try {
      this.store ??= await openStore(this.storage);
      const now = await this.store.getStudy(this.study.name);
      if (now?.id !== this.study.id) {
        this.gone = true;
        this.stopTimer();
        this.onGone();
      }
    } catch {
      // Unknown is not gone.
    } finally {
      this.checking = false;
    }
    return this.gone;
  }

  deleted(): boolean {
    return this.gone;
  }

  /** The line the search ends with. */
  error(): GradtuneError {
    const name = this.study?.name ?? '?';
    return new GradtuneError(
      `study "${name}" was deleted while this search ran (gradtune search --overwrite, run by another process?); ` +
        'this process stopped its trials without writing anything more: run the command again to continue the study that replaced it, or use another --study',
    );
  }

  async dispose(): Promise<void> {
    this.stopTimer();
    try {
      await this.store?.close();
    } catch {
      // This connection never wrote: closing it has nothing to lose.
    }
    this.store = undefined;
  }

  private stopTimer(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }
}
