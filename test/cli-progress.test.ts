// The search progress: on a terminal, a bar redrawn every second (running trials, elapsed
// time and an ETA that counts down between trial ends), not only when a trial ends; on a
// pipe, one line per finished trial, a promotion with its epoch range and parent.
import { Writable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { estimateEnd, formatDuration, progressReporter, REDRAW_MS } from '../src/cli/progress.js';
import type { TrialRecord } from '../src/store/store.js';
import { makeStudy, makeTrial } from './helpers/records.js';

/** A stream that says it is a terminal and keeps what is written to it. */
function fakeTerminal(isTTY: boolean): NodeJS.WriteStream & { text(): string; lastLine(): string } {
  let written = '';
  const stream = new Writable({
    write(chunk, _encoding, done) {
      written += String(chunk);
      done();
    },
  }) as unknown as NodeJS.WriteStream & { text(): string; lastLine(): string };
  Object.assign(stream, { isTTY, columns: 200, rows: 40 });
  stream.text = () => written;
  // The bar redraws its line in place: the last state is after the last cursor move.
  // eslint-disable-next-line no-control-regex
  stream.lastLine = () => written.split(/\x1b\[1G/).at(-1)!.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '').replace(/[░█]/g, '');
  return stream;
}

const study = makeStudy({ name: 'demo', objective: { metric: 'val_accuracy', direction: 'max' } });
const dataset = { name: 'iris', nTrain: 120, nVal: 30, nFeatures: 4, task: 'classification' } as never;
const start = (total: number) => ({ study, dataset, backend: 'cpu' as const, total, existing: 0, workers: 2, resumed: false });

describe('formatDuration and estimateEnd', () => {
  it('writes durations short', () => {
    expect(formatDuration(0)).toBe('0s');
    expect(formatDuration(44_600)).toBe('45s');
    expect(formatDuration(185_000)).toBe('3m 05s');
    expect(formatDuration(8_040_000)).toBe('2h 14m');
    expect(formatDuration(-5)).toBe('0s');
  });

  it('projects the rate of the trials finished so far onto those left', () => {
    expect(estimateEnd(0, 4000, 0, 9)).toBeUndefined();
    expect(estimateEnd(0, 4000, 1, 9)).toBe(4000 + 36_000);
    expect(estimateEnd(0, 4000, 2, 0)).toBe(4000);
  });
});

describe('progressReporter on a terminal', () => {
  beforeEach(() => {
    vi.useFakeTimers({ now: 1_000_000 });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('redraws every second between trial ends: running trials, elapsed time, a counting-down ETA', () => {
    const out = fakeTerminal(true);
    const progress = progressReporter(out);
    progress.onStart!(start(10));
    expect(out.lastLine()).toBe('trials  0/10 | running 0 | best - | 0s | ETA -');
    const t0 = makeTrial(0, { x: 1 }, 'running');
    progress.onTrialStart!(t0);
    progress.onTrialStart!(makeTrial(1, { x: 2 }, 'running'));
    vi.advanceTimersByTime(REDRAW_MS);
    expect(out.lastLine()).toBe('trials  0/10 | running 2 | best - | 1s | ETA -');
    // No trial ends, yet the line moves.
    vi.advanceTimersByTime(2 * REDRAW_MS);
    expect(out.lastLine()).toBe('trials  0/10 | running 2 | best - | 3s | ETA -');
    vi.advanceTimersByTime(REDRAW_MS);
    const done: TrialRecord = { ...t0, status: 'completed', score: 0.9, epochsRun: 3 };
    progress.onTrialEnd!(done, { finished: 1, running: 1, best: done });
    vi.advanceTimersByTime(REDRAW_MS);
    // 1 trial in 4 s, 9 left: 36 s from the end of trial 0, 1 s ago.
    expect(out.lastLine()).toBe('trials  1/10 | running 1 | best 0.9000 (#0) | 5s | ETA 35s');
    vi.advanceTimersByTime(3 * REDRAW_MS);
    expect(out.lastLine()).toBe('trials  1/10 | running 1 | best 0.9000 (#0) | 8s | ETA 32s');
    progress.stop();
    const after = out.text();
    vi.advanceTimersByTime(5 * REDRAW_MS);
    expect(out.text()).toBe(after);
  });
});

describe('progressReporter on a pipe', () => {
  it('one line per finished trial; a promotion with its epoch range and the trial it continues', () => {
    const out = fakeTerminal(false);
    const progress = progressReporter(out);
    progress.onStart!(start(4));
    const parent: TrialRecord = { ...makeTrial(3, { x: 1 }, 'completed'), score: 0.8, epochsRun: 3, fromEpoch: 0, durationMs: 1500 };
    progress.onTrialEnd!(parent, { finished: 1, running: 1, best: parent });
    const child: TrialRecord = { ...makeTrial(9, { x: 1 }, 'completed'), score: 0.9, epochsRun: 6, parent: 3, fromEpoch: 3, toEpoch: 9, durationMs: 2500 };
    progress.onTrialEnd!(child, { finished: 2, running: 0, best: child });
    progress.stop();
    const lines = out.text().trim().split('\n');
    expect(lines.slice(-2)).toEqual([
      'trial 3 completed val_accuracy=0.8000 epochs=3 1.5s | 1/4 | best 0.8000 (#3)',
      'trial 9 completed val_accuracy=0.9000 epochs=3→9 (continues #3) 2.5s | 2/4 | best 0.9000 (#9)',
    ]);
    expect(out.text()).not.toContain('\x1b');
  });
});
