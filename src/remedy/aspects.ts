// A configuration as the facts a remedy can change (activation, initialisation, depth,
// clipping, learning rate, ...), and the difference between two configurations in those
// terms. Remedies are judged on what a change of parameter does to the configuration the
// space builds, never on what the parameter is called.
import type { HiddenLayer, TrialConfig } from '../space/types.js';

export interface Aspects {
  /** Per hidden layer; empty for a custom model (its layers are opaque). */
  activation: string[];
  /** Per hidden layer, with the stddev of randomNormal: `randomNormal(0.01)`. */
  initializer: string[];
  batchNorm: boolean[];
  dropout: number[];
  l1: number[];
  l2: number[];
  units: number[];
  residual: boolean;
  optimizer: string;
  learningRate: number;
  batchSize: number;
  epochs: number | null;
  warmupEpochs: number;
  decay: string;
  /** `none`, `norm 1`, `value 0.5`. */
  clip: string;
  /** Early-stopping patience; null without early stopping. */
  patience: number | null;
}

export type AspectName = keyof Aspects;

const initName = (l: HiddenLayer) => (l.initializer === 'randomNormal' ? `randomNormal(${l.initStddev ?? 0.05})` : l.initializer);

export function aspectsOf(config: TrialConfig): Aspects {
  const hidden: HiddenLayer[] = config.model.kind === 'mlp' ? config.model.hidden : [];
  const t = config.training;
  const clip = t.clip ?? { kind: 'none' };
  return {
    activation: hidden.map((l) => l.activation),
    initializer: hidden.map(initName),
    batchNorm: hidden.map((l) => Boolean(l.batchNorm)),
    dropout: hidden.map((l) => l.dropout ?? 0),
    l1: hidden.map((l) => l.l1 ?? 0),
    l2: hidden.map((l) => l.l2 ?? 0),
    units: hidden.map((l) => l.units),
    residual: config.model.kind === 'mlp' && Boolean(config.model.residual),
    optimizer: t.optimizer,
    learningRate: t.learningRate,
    batchSize: t.batchSize,
    epochs: t.epochs ?? null,
    warmupEpochs: t.warmupEpochs ?? 0,
    decay: t.decay ?? 'constant',
    clip: clip.kind === 'none' ? 'none' : `${clip.kind} ${clip.value}`,
    patience: t.earlyStopping?.patience ?? null,
  };
}

/** One aspect that differs, in words: `activation sigmoid → relu`. */
export interface AspectChange {
  aspect: AspectName;
  text: string;
}

const LABELS: Record<AspectName, string> = {
  activation: 'activation',
  initializer: 'initializer',
  batchNorm: 'batch norm',
  dropout: 'dropout',
  l1: 'L1',
  l2: 'L2',
  units: 'units',
  residual: 'residual connections',
  optimizer: 'optimizer',
  learningRate: 'learning rate',
  batchSize: 'batch size',
  epochs: 'epochs',
  warmupEpochs: 'warmup epochs',
  decay: 'decay',
  clip: 'clipping',
  patience: 'patience',
};

function show(value: unknown): string {
  if (typeof value === 'boolean') return value ? 'on' : 'off';
  if (value === null) return 'none';
  return String(value);
}

/** `sigmoid` when every layer agrees, else `sigmoid, sigmoid, relu`. */
function showList(values: readonly unknown[]): string {
  if (values.length === 0) return '-';
  return values.every((v) => v === values[0]) ? show(values[0]) : values.map(show).join(', ');
}

export function diffAspects(before: Aspects, after: Aspects): AspectChange[] {
  const changes: AspectChange[] = [];
  for (const aspect of Object.keys(LABELS) as AspectName[]) {
    const a = before[aspect];
    const b = after[aspect];
    const same = Array.isArray(a) && Array.isArray(b) ? a.length === b.length && a.every((x, i) => x === b[i]) : a === b;
    if (same) continue;
    const text = Array.isArray(a) && Array.isArray(b) ? `${LABELS[aspect]} ${showList(a)} → ${showList(b)}` : `${LABELS[aspect]} ${show(a)} → ${show(b)}`;
    changes.push({ aspect, text });
  }
  // Depth shows in every per-layer list; say it once.
  if (before.units.length !== after.units.length) {
    return [{ aspect: 'units', text: `hidden layers ${before.units.length} → ${after.units.length}` }, ...changes.filter((c) => !PER_LAYER.has(c.aspect) || !sameUpTo(before[c.aspect] as unknown[], after[c.aspect] as unknown[]))];
  }
  return changes;
}

const PER_LAYER = new Set<AspectName>(['activation', 'initializer', 'batchNorm', 'dropout', 'l1', 'l2', 'units']);

/** Whether the shorter list is the longer one's start: removing layers changed nothing else in them. */
function sameUpTo(a: readonly unknown[], b: readonly unknown[]): boolean {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return false;
  return true;
}
