// A study's pruner as stored with its settings, and the pruner built from it: every
// process that joins the study prunes by the same rule, whatever its own flags.
import { GradtuneError } from '../errors.js';
import { medianPruner, resolveMedianOptions, type MedianPrunerOptions } from './median.js';
import { nonePruner } from './none.js';
import { resolveSuccessiveHalvingOptions, successiveHalvingPruner, type SuccessiveHalvingOptions } from './successive-halving.js';
import type { Pruner } from './types.js';

export const PRUNERS = ['none', 'median', 'asha'] as const;
export type PrunerName = (typeof PRUNERS)[number];

export type PrunerSettings =
  | ({ name: 'median' } & Required<MedianPrunerOptions>)
  | ({ name: 'asha' } & Required<SuccessiveHalvingOptions>)
  /** A pruner written in the user's code: only its name is stored; the code gives it again. */
  | { name: string; custom: true };

/** What a user may give: a built-in's name and options, or a pruner of their own. */
export interface PrunerChoice {
  pruner?: PrunerName | Pruner;
  median?: MedianPrunerOptions;
  successiveHalving?: SuccessiveHalvingOptions;
}

/** The settings to store for a new study; undefined for none. Options of another pruner are an error. */
export function resolvePrunerSettings(choice: PrunerChoice): PrunerSettings | undefined {
  const given = choice.pruner ?? 'none';
  const medianGiven = Object.values(choice.median ?? {}).some((v) => v !== undefined);
  const halvingGiven = Object.values(choice.successiveHalving ?? {}).some((v) => v !== undefined);
  if (typeof given === 'object') {
    if (given === null || typeof given.prune !== 'function' || typeof given.name !== 'string' || given.name.length === 0) {
      throw new GradtuneError('a pruner is { name, prune(ctx) } (see src/pruner/types.ts), or one of none, median, asha');
    }
    if ((PRUNERS as readonly string[]).includes(given.name)) {
      throw new GradtuneError(`pruner name "${given.name}" is taken by a built-in pruner; give yours its own name`);
    }
    if (medianGiven || halvingGiven) throw new GradtuneError(`the --pruner-* options set a built-in pruner, not "${given.name}"; drop them`);
    return { name: given.name, custom: true };
  }
  if (!(PRUNERS as readonly string[]).includes(given)) throw new GradtuneError(`unknown pruner "${String(given)}": use one of ${PRUNERS.join(', ')}`);
  if (medianGiven && given !== 'median') throw new GradtuneError(`--pruner-startup-trials, --pruner-warmup-epochs, --pruner-interval-epochs and --pruner-min-trials apply to --pruner median, not --pruner ${given}`);
  if (halvingGiven && given !== 'asha') throw new GradtuneError(`--pruner-min-epochs, --pruner-min-early-stopping-rate and --pruner-bootstrap-count apply to --pruner asha, not --pruner ${given}`);
  if (given === 'median') return { name: 'median', ...resolveMedianOptions(choice.median) };
  if (given === 'asha') return { name: 'asha', ...resolveSuccessiveHalvingOptions(choice.successiveHalving) };
  return undefined;
}

/** Stored settings as read back (lenient: a study stored by another version). */
export function readPrunerSettings(stored: unknown): PrunerSettings | undefined {
  if (!stored || typeof stored !== 'object') return undefined;
  const s = stored as Record<string, unknown>;
  if (typeof s.name !== 'string' || s.name === 'none') return undefined;
  if (s.custom === true) return { name: s.name, custom: true };
  if (s.name === 'median') return { name: 'median', ...resolveMedianOptions(s as MedianPrunerOptions) };
  if (s.name === 'asha') return { name: 'asha', ...resolveSuccessiveHalvingOptions(s as SuccessiveHalvingOptions) };
  throw new GradtuneError(`the study prunes with "${s.name}", a pruner this gradtune does not know; upgrade gradtune`);
}

/**
 * The pruner of a stored study. A pruner of the user's (stored by name) must be given
 * again, by code, under the same name.
 */
export function buildPruner(settings: PrunerSettings | undefined, given: Pruner | undefined, studyName: string): Pruner {
  if (!settings) return nonePruner;
  if ('custom' in settings) {
    if (given && given.name === settings.name) return given;
    throw new GradtuneError(
      `study "${studyName}" prunes with "${settings.name}", a pruner defined in code; continue it through the API with the same pruner: new Tuner({ study: '${studyName}', pruner: ${settings.name} })`,
    );
  }
  return settings.name === 'median' ? medianPruner(settings) : successiveHalvingPruner(settings);
}

/** `median (startup 5, warm-up 0 epochs, interval 1, min trials 1)`: for reports. */
export function describePruner(settings: PrunerSettings | undefined): string {
  if (!settings) return 'none';
  if ('custom' in settings) return `${settings.name} (defined in code)`;
  if (settings.name === 'median') {
    return `median (startup trials ${settings.startupTrials}, warm-up epochs ${settings.warmupEpochs}, interval ${settings.intervalEpochs}, min trials ${settings.minTrials})`;
  }
  const rate = settings.minEarlyStoppingRate > 0 ? `, min early-stopping rate ${settings.minEarlyStoppingRate}` : '';
  const bootstrap = settings.bootstrapCount > 0 ? `, bootstrap count ${settings.bootstrapCount}` : '';
  return `asha (rungs at ${settings.minEpochs}×${settings.factor}^k epochs${rate}${bootstrap})`;
}
