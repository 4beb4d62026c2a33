// The Parzen estimator against Optuna's own (reference densities computed by Optuna,
// test/fixtures/optuna-parzen-reference.py), and the numerics beneath it.
import { readFileSync } from 'node:fs';
import seedrandom from 'seedrandom';
import { describe, expect, it } from 'vitest';
import { numericAxis } from '../src/sampler/axis.js';
import { logNormalMass, truncatedStandardNormal } from '../src/sampler/normal.js';
import { observationWeights, ParzenEstimator, pointsOf, sortOrder } from '../src/sampler/parzen.js';
import { modelledParam, type ModelledParam } from '../src/sampler/tpe-model.js';
import type { ParamSpec, ParamValue } from '../src/space/types.js';

interface ReferenceCase {
  name: string;
  params: Record<string, ['float' | 'int' | 'categorical', { min?: number; max?: number; log?: boolean; values?: string[] }]>;
  observations: Record<string, ParamValue[]>;
  points: Record<string, ParamValue[]>;
  logPdf: number[];
}

const reference: ReferenceCase[] = JSON.parse(readFileSync(new URL('./fixtures/optuna-parzen.json', import.meta.url), 'utf8'));

function specOf(name: string, [kind, a]: ReferenceCase['params'][string]): ParamSpec {
  if (kind === 'float') return { kind: 'float', name, min: a.min!, max: a.max!, sampling: a.log ? 'log' : 'linear' };
  if (kind === 'int') return { kind: 'int', name, min: a.min!, max: a.max!, sampling: 'linear' };
  return { kind: 'choice', name, values: a.values! };
}

/** Column of a parameter's values as the estimator takes them: numeric values, or categorical indexes. */
function drawnColumn(p: ModelledParam, values: ParamValue[]): Float64Array {
  return Float64Array.from(values, (v) => (p.dim.kind === 'categorical' ? p.place(v)! : (v as number)));
}

describe('Parzen estimator', () => {
  it.each(reference.map((c) => [c.name, c] as const))('gives the log densities Optuna gives: %s', (_, c) => {
    const params = Object.entries(c.params).map(([name, p]) => modelledParam(specOf(name, p)));
    const dims = params.map((p) => p.dim);
    const columns = params.map((p) => Float64Array.from(c.observations[p.spec.name], (v) => p.place(v)!));
    const estimator = new ParzenEstimator(dims, columns, 1);
    const points = pointsOf(dims, params.map((p) => drawnColumn(p, c.points[p.spec.name])));
    const got = Array.from(estimator.logPdf(points));
    // Within 5e-6: the bucket masses use an erfc accurate to about 1e-7.
    got.forEach((v, i) => expect(v, `point ${i}`).toBeCloseTo(c.logPdf[i], 5));
  });

  it('weighs observations as Optuna does: 1 up to 25, then older ones ramp down from 1/n', () => {
    expect(Array.from(observationWeights(3))).toEqual([1, 1, 1]);
    const w = observationWeights(30);
    expect(w[0]).toBeCloseTo(1 / 30, 12);
    expect(w[4]).toBeCloseTo(1, 12);
    expect(Array.from(w.subarray(5))).toEqual(new Array(25).fill(1));
    for (let i = 1; i < 5; i++) expect(w[i]).toBeGreaterThan(w[i - 1]);
  });

  it('draws values within the range, on the step grid, and as often as its density says', () => {
    const spec: ParamSpec = { kind: 'int', name: 'n', min: 2, max: 20, step: 3, sampling: 'linear' };
    const p = modelledParam(spec);
    const estimator = new ParzenEstimator([p.dim], [Float64Array.from([5, 5, 8, 20], (v) => p.place(v)!)], 1);
    const drawn = estimator.sample(seedrandom('draws'), 4000);
    const counts = new Map<number, number>();
    for (const v of drawn.value[0]) counts.set(v, (counts.get(v) ?? 0) + 1);
    expect([...counts.keys()].sort((a, b) => a - b)).toEqual([2, 5, 8, 11, 14, 17, 20]);
    // Frequencies match the masses the estimator assigns (which sum to 1).
    const values = [2, 5, 8, 11, 14, 17, 20];
    const masses = Array.from(estimator.logPdf(pointsOf([p.dim], [Float64Array.from(values)])), Math.exp);
    expect(masses.reduce((a, b) => a + b)).toBeCloseTo(1, 6);
    values.forEach((v, i) => expect(Math.abs((counts.get(v) ?? 0) / 4000 - masses[i])).toBeLessThan(0.025));
  });

  it('keeps a log-scale parameter in log space: its density integrates to 1 over log(x)', () => {
    const spec: ParamSpec = { kind: 'float', name: 'lr', min: 1e-5, max: 1e-1, sampling: 'log' };
    const p = modelledParam(spec);
    const estimator = new ParzenEstimator([p.dim], [Float64Array.from([1e-3, 2e-3, 5e-2], (v) => p.place(v)!)], 1);
    const n = 4000;
    const xs = Float64Array.from({ length: n }, (_, i) => Math.exp(Math.log(1e-5) + ((i + 0.5) / n) * Math.log(1e4)));
    const density = estimator.logPdf(pointsOf([p.dim], [xs]));
    const integral = density.reduce((s, v) => s + Math.exp(v) * (Math.log(1e4) / n), 0);
    expect(integral).toBeCloseTo(1, 3);
  });
});

describe('normal distribution helpers', () => {
  it('gives the mass of an interval accurately, far into the tails and for narrow intervals', () => {
    // Reference values: scipy.stats.norm (log of cdf(b) - cdf(a), or of sf(a) - sf(b)).
    expect(logNormalMass(-1, 1)).toBeCloseTo(Math.log(0.6826894921370859), 7);
    expect(logNormalMass(0, Infinity)).toBeCloseTo(Math.log(0.5), 7);
    expect(logNormalMass(3, 4)).toBeCloseTo(Math.log(0.0013182267897969735), 6);
    expect(logNormalMass(-4, -3)).toBeCloseTo(Math.log(0.0013182267897969735), 6);
    expect(logNormalMass(10, 11)).toBeCloseTo(-53.23131022558313, 5); // log(sf(10) - sf(11))
    expect(logNormalMass(30, 31)).toBeCloseTo(-454.3212439563433, 5);
    expect(logNormalMass(0.5, 0.5001)).toBeCloseTo(-10.254303906744628, 6);
    // Narrow intervals, integrated by series (scipy's values).
    expect(logNormalMass(0.1, 0.29)).toBeCloseTo(-2.600128375456151, 6);
    expect(logNormalMass(-3, -2.81)).toBeCloseTo(-6.788039031268695, 6);
    expect(logNormalMass(1.9, 2.09)).toBeCloseTo(-4.56521320891066, 6);
    expect(logNormalMass(9, 9.04)).toBeCloseTo(-44.81266315656195, 6);
    expect(logNormalMass(29.99, 30)).toBeCloseTo(-455.370379454836, 6);
    expect(logNormalMass(1, 1)).toBe(-Infinity);
  });

  it('draws a truncated normal within its bounds', () => {
    const rng = seedrandom('t');
    const draws = Array.from({ length: 2000 }, () => truncatedStandardNormal(rng, -0.3, 2));
    expect(Math.min(...draws)).toBeGreaterThanOrEqual(-0.3);
    expect(Math.max(...draws)).toBeLessThanOrEqual(2);
    // Its mean is (φ(-0.3) - φ(2)) / (Φ(2) - Φ(-0.3)) = 0.5501 (scipy.stats.truncnorm).
    expect(draws.reduce((a, b) => a + b) / draws.length).toBeCloseTo(0.55, 1);
  });

  it('orders values stably', () => {
    const v = Float64Array.from([3, 1, 2, 1, 3, 0]);
    expect(Array.from(sortOrder(v))).toEqual([5, 1, 3, 2, 0, 4]);
  });
});

describe('numeric axes', () => {
  it('gives a stepped value the bucket random search draws it from', () => {
    const axis = numericAxis({ kind: 'int', name: 'u', min: 8, max: 512, sampling: 'log' });
    expect(axis.count).toBe(505);
    const [l, r] = axis.bucket(8);
    expect([l, r]).toEqual([Math.log(8), Math.log(9)]);
    expect(axis.valueAt(Math.log(8.99))).toBe(8);
    expect(axis.valueAt(Math.log(513) + 1)).toBe(512);
    expect(axis.position(7)).toBeNull();
    expect(axis.position(9.5)).toBeNull();
  });

  it('mirrors a reverse-log float (dense near its top) and keeps stepped floats tidy', () => {
    const axis = numericAxis({ kind: 'float', name: 'm', min: 0.5, max: 0.999, sampling: 'reverseLog' });
    const near = axis.position(0.99)! - axis.position(0.98)!;
    const far = axis.position(0.6)! - axis.position(0.59)!;
    expect(near).toBeGreaterThan(far);
    expect(axis.valueAt(axis.position(0.9)!)).toBeCloseTo(0.9, 12);
    const stepped = numericAxis({ kind: 'float', name: 'd', min: 0, max: 0.5, step: 0.05, sampling: 'linear' });
    expect(stepped.valueAt(stepped.position(0.15)!)).toBe(0.15);
  });
});
