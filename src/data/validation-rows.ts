// What a custom objective is computed from: the validation rows' truth and the model's
// predictions for them, in the user's terms (class indices and probabilities, or values
// in the target's own units).
import type { Dataset } from './types.js';

export function customMetricInputs(dataset: Dataset, predictions: Float32Array): { truth: number[]; predicted: number[][] } {
  const { nVal, nOutputs, yVal } = dataset;
  const truth: number[] = [];
  const predicted: number[][] = [];
  for (let i = 0; i < nVal; i++) {
    const row = Array.from(predictions.subarray(i * nOutputs, (i + 1) * nOutputs));
    if (dataset.task === 'classification') {
      let label = 0;
      for (let k = 1; k < nOutputs; k++) if (yVal[i * nOutputs + k] > yVal[i * nOutputs + label]) label = k;
      truth.push(label);
      predicted.push(row);
    } else {
      truth.push(toTargetUnits(dataset, yVal[i]));
      predicted.push(row.map((v) => toTargetUnits(dataset, v)));
    }
  }
  return { truth, predicted };
}

/** A regression value as the model sees it, back in the target's own units. */
function toTargetUnits(dataset: Dataset, value: number): number {
  const scaling = dataset.targetScaling;
  return scaling ? value * scaling.std + scaling.mean : value;
}
