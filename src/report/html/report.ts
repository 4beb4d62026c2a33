// `gradtune report --format html`: the whole study as one self-contained HTML page.
import { readFileSync } from 'node:fs';
import { packageFile } from '../../package-files.js';
import type { StudyRecord, TrialRecord } from '../../store/store.js';
import { buildReportData } from './build-report-data.js';
import { describeStudyDataset, type DatasetDescription } from './dataset.js';
import { headerFacts } from './header.js';
import { renderHtml } from './render-html.js';

export interface HtmlReportOptions {
  /** The dataset line of the header; default: read from the study's data (tests pass their own). */
  dataset?: DatasetDescription;
  /** When the report was made, shown on the page; default: now. */
  now?: Date;
}

let version: string | undefined;

export function gradtuneVersion(): string {
  version ??= (JSON.parse(readFileSync(packageFile('package.json'), 'utf8')) as { version: string }).version;
  return version;
}

/** The report of a study with all its trials, as an HTML document (ends with a newline). */
export function formatHtmlReport(study: StudyRecord, trials: readonly TrialRecord[], options: HtmlReportOptions = {}): string {
  const data = buildReportData(study, trials);
  const header = headerFacts(study, trials, options.dataset ?? describeStudyDataset(study));
  return renderHtml({ data, header, gradtuneVersion: gradtuneVersion(), mode: { kind: 'report', generatedAt: options.now ?? new Date() } });
}
