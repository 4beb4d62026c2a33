// The values a parameter could take instead of its current one, as far as its declaration
// allows: every other choice, the other boolean, and for numbers a handful of values a
// practitioner would try (a tenth, a third, three and ten times, halves and doubles, the
// ends of the range, the points of a short step grid), all within range and on the step.
import type { ParamSpec, ParamValue } from '../space/types.js';

/** A step grid this short is offered whole (dropout 0..0.5 step 0.05 is 11 points). */
const WHOLE_GRID = 25;

export function candidateValues(spec: ParamSpec, current: ParamValue | undefined): ParamValue[] {
  switch (spec.kind) {
    case 'fixed':
      return [];
    case 'boolean':
      return current === undefined ? [true, false] : [!current];
    case 'choice':
      return spec.values.filter((v) => v !== current);
    case 'int':
    case 'float': {
      const { min, max, step } = spec;
      const out = new Set<number>([min, max]);
      if (step !== undefined && (max - min) / step + 1 <= WHOLE_GRID) {
        for (let k = 0; min + k * step <= max + 1e-9; k++) out.add(min + k * step);
      }
      if (typeof current === 'number') {
        for (const f of [0.1, 1 / 3, 0.5, 2, 3, 10]) out.add(current * f);
        if (spec.kind === 'int') for (const d of [-2, -1, 1, 2]) out.add(current + d);
      }
      for (const f of [0.1, 0.25, 0.5, 0.75]) out.add(spec.sampling === 'linear' ? min + f * (max - min) : geometric(min, max, f));
      const values = [...out].map((v) => snap(spec, v)).filter((v) => v >= min && v <= max && v !== current);
      return [...new Set(values)].sort((a, b) => a - b);
    }
  }
}

function geometric(min: number, max: number, f: number): number {
  return min > 0 ? Math.exp(Math.log(min) + f * (Math.log(max) - Math.log(min))) : min + f * (max - min);
}

/** Onto the declaration's step (ints: whole numbers), 12 significant digits as the samplers write them. */
function snap(spec: Extract<ParamSpec, { kind: 'int' | 'float' }>, v: number): number {
  let x = v;
  if (spec.step !== undefined) x = spec.min + Math.round((x - spec.min) / spec.step) * spec.step;
  if (spec.kind === 'int') x = Math.round(x);
  return Number(x.toPrecision(12));
}
