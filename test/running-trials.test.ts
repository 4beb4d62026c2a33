// The running trials under the progress bar: each one's epoch and last score, drawn below
// the bar on a terminal and gone when the trial ends; nothing extra on a pipe.
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { progressReporter } from '../src/cli/progress.js';
import { formatRunningTrial, runningTrialLines } from '../src/cli/running-trials.js';
import { makeStudy, makeTrial } from './helpers/records.js';

function stream(isTTY: boolean) {
  let written = '';
  const out = new Writable({
    write(chunk, _encoding, done) {
      written += String(chunk);
      done();
    },
  }) as unknown as NodeJS.WriteStream;
  Object.assign(out, { isTTY, columns: 120, rows: 40 });
  return { out, text: () => written, reset: () => (written = '') };
}

const study = makeStudy({ name: 'demo', maxEpochs: 20, objective: { metric: 'val_accuracy', direction: 'max' } });
const dataset = { name: 'iris', nTrain: 120, nVal: 30, nFeatures: 4, task: 'classification' } as never;
const record = (epoch: number, val_accuracy: number) => ({ epoch, loss: 1, val_loss: 1, val_accuracy, learningRate: 0.01 });

describe('running trial lines', () => {
  it('show the epoch, the epochs it trains to, the last score and what a promotion continues', () => {
    expect(formatRunningTrial({ number: 12, epoch: 7, toEpoch: 27, parent: null, score: 0.91234 }, 'val_accuracy')).toBe('  trial 12  epoch 7/27  val_accuracy 0.9123');
    expect(formatRunningTrial({ number: 3, epoch: 4, toEpoch: 9, parent: 1, score: null }, 'val_loss')).toBe('  trial 3  epoch 4/9  val_loss -  (continues #1)');
    const lines = runningTrialLines(
      [
        { number: 5, epoch: 1, toEpoch: 3, parent: null, score: 0.5 },
        { number: 2, epoch: 2, toEpoch: 3, parent: null, score: 0.6 },
      ],
      'val_accuracy',
      20,
    );
    expect(lines).toEqual(['  trial 2  epoch 2/…', '  trial 5  epoch 1/…']);
  });

  it('are drawn under the bar on a terminal after each epoch, and removed when the trial ends', () => {
    const { out, text, reset } = stream(true);
    const progress = progressReporter(out);
    progress.onStart!({ study, dataset, backend: 'cpu', total: 4, existing: 0, workers: 2, resumed: false });
    const a = makeTrial(0, {}, 'running', { toEpoch: null });
    const b = makeTrial(1, {}, 'running', { toEpoch: 9, parent: 0 });
    progress.onTrialStart!(a);
    progress.onTrialStart!(b);
    reset();
    progress.onEpoch!(a, record(3, 0.8));
    progress.onEpoch!(b, record(5, 0.9));
    const drawn = text();
    expect(drawn).toContain('\n\r  trial 0  epoch 3/20  val_accuracy 0.8000\x1b[K\n\r  trial 1  epoch 5/9  val_accuracy 0.9000  (continues #0)\x1b[K\n\x1b[J\x1b[3A');
    reset();
    progress.onTrialEnd!({ ...a, status: 'completed', score: 0.8 }, { finished: 1, running: 1, best: undefined });
    expect(text()).not.toContain('trial 0  epoch');
    expect(text()).toContain('trial 1  epoch 5/9');
    progress.stop();
  });

  it('are not written on a pipe', () => {
    const { out, text } = stream(false);
    const progress = progressReporter(out);
    progress.onStart!({ study, dataset, backend: 'cpu', total: 4, existing: 0, workers: 2, resumed: false });
    progress.onEpoch!(makeTrial(0, {}, 'running'), record(1, 0.5));
    expect(text()).not.toContain('epoch 1/');
    progress.stop();
  });
});
