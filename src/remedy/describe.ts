// A remedy in words: `ReLU-family activation: activation: sigmoid → relu`.
import type { Remedy } from '../train/diagnostics-types.js';

/** `activation: sigmoid → relu`, `clip: none → norm, clip_value: 1`. */
export function describeChanges(remedy: Remedy): string {
  const set = remedy.changes.map((c) => `${c.param}: ${c.from === null ? '(unset)' : String(c.from)} → ${String(c.to)}`);
  return set.join(', ');
}

/** One line: `ReLU-family activation: activation: sigmoid → relu (also: batch norm on → off)`. */
export function describeRemedy(remedy: Remedy): string {
  const drops = remedy.drops.length > 0 ? ` (${remedy.drops.join(', ')} no longer applies)` : '';
  const also = remedy.sideEffects.length > 0 ? ` (also: ${remedy.sideEffects.join('; ')})` : '';
  return `${remedy.cure}: ${describeChanges(remedy)}${drops}${also}`;
}
