// `gradtune plan`: the schedule an algorithm will follow, printed before anything runs.
// It needs no store, no data and no tfjs: it only reads the settings.
import { Command, Option } from 'commander';
import Table from 'cli-table3';
import { HYPERBAND_DEFAULTS, hyperbandSchedule, type HyperbandSchedule } from '../oracle/hyperband-schedule.js';
import { ASHA_DEFAULTS, ashaRungs } from '../oracle/asha.js';
import { GradtuneError } from '../errors.js';
import { numberFlag } from './flags.js';
import { describeSampler, SAMPLER_NAMES } from '../sampler/by-name.js';

interface PlanOptions {
  algo: 'hyperband' | 'random' | 'asha';
  sampler?: string;
  maxTrials?: number;
  maxEpochs: number;
  factor: number;
  hyperbandIterations?: number;
  minEpochs?: number;
  json?: boolean;
}

/**
 * ASHA's rungs, and what a search of `maxTrials` trials would roughly run if every rung
 * promoted exactly its top 1/factor (ASHA decides as results come, so a real search differs
 * a little): n configurations, n/factor^k of them reaching rung k.
 */
export function ashaPlan(o: { maxEpochs: number; factor: number; minEpochs: number; maxTrials: number }) {
  const rungs = ashaRungs(o).map((toEpoch, rung, all) => ({ rung, fromEpoch: rung === 0 ? 0 : all[rung - 1], toEpoch }));
  const shares = rungs.map((r) => o.factor ** -r.rung);
  const configurations = o.maxTrials / shares.reduce((a, b) => a + b, 0);
  const epochs = rungs.reduce((sum, r, k) => sum + configurations * shares[k] * (r.toEpoch - r.fromEpoch), 0);
  return {
    rungs,
    maxTrials: o.maxTrials,
    estimate: { configurations: Math.round(configurations), promotions: o.maxTrials - Math.round(configurations), epochs: Math.round(epochs) },
  };
}

function ashaTable(o: PlanOptions & { minEpochs: number; maxTrials: number }, defaultTrials: boolean): string {
  const plan = ashaPlan(o);
  const head = ['rung', 'from epoch', 'to epoch', 'epochs trained', 'configurations reaching it'];
  const table = new Table({ head, colAligns: head.map(() => 'right' as const), style: { head: [], border: [], compact: true } });
  for (const r of plan.rungs) table.push([r.rung, r.fromEpoch, r.toEpoch, r.toEpoch - r.fromEpoch, `1 in ${o.factor ** r.rung}`]);
  const { configurations, promotions, epochs } = plan.estimate;
  const cap = defaultTrials ? `--max-trials ${o.maxTrials} (the default: as many trials as a Hyperband sweep)` : `--max-trials ${o.maxTrials}`;
  return [
    `ASHA, --max-epochs ${o.maxEpochs} --factor ${o.factor} --min-epochs ${o.minEpochs}: ${plural(plan.rungs.length, 'rung')}; ` +
      `a trial in the top 1/${o.factor} of the trials finished in its rung is promoted to the next at once, continuing from its checkpoint`,
    table.toString(),
    `with ${cap}: about ${plural(configurations, 'configuration')}, ${plural(promotions, 'promotion')} and ${plural(epochs, 'epoch')} trained ` +
      '(ASHA promotes as results come, so a search differs a little)',
  ].join('\n');
}

/** The `--json` shape: rounds without their index, `iteration` only when there are several. */
function planJson(schedule: HyperbandSchedule, iterations: number): object {
  return {
    brackets: schedule.brackets.map((b) => ({
      ...(iterations > 1 ? { iteration: b.iteration } : {}),
      bracket: b.bracket,
      rounds: b.rounds.map((r) => ({ trials: r.trials, fromEpoch: r.fromEpoch, toEpoch: r.toEpoch })),
    })),
    totalTrials: schedule.totalTrials,
    totalEpochs: schedule.totalEpochs,
  };
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

function planTable(schedule: HyperbandSchedule, o: PlanOptions & { hyperbandIterations: number }): string {
  const several = o.hyperbandIterations > 1;
  const head = [...(several ? ['iteration'] : []), 'bracket', 'round', 'trials', 'from epoch', 'to epoch', 'epochs trained'];
  const table = new Table({ head, colAligns: head.map(() => 'right' as const), style: { head: [], border: [], compact: true } });
  for (const b of schedule.brackets) {
    for (const r of b.rounds) {
      table.push([...(several ? [b.iteration] : []), b.bracket, r.round, r.trials, r.fromEpoch, r.toEpoch, r.trials * (r.toEpoch - r.fromEpoch)]);
    }
  }
  const perSweep = schedule.brackets.length / o.hyperbandIterations;
  const configurations = schedule.brackets.reduce((sum, b) => sum + b.rounds[0].trials, 0);
  return [
    `Hyperband, --max-epochs ${o.maxEpochs} --factor ${o.factor}: ` +
      `${several ? `${o.hyperbandIterations} iterations of ` : ''}${plural(perSweep, 'bracket')}, the most exploratory first; ` +
      'a promoted trial continues its parent from "from epoch" to "to epoch"',
    table.toString(),
    `total: ${plural(schedule.totalTrials, 'trial')} (${plural(configurations, 'configuration')}, ` +
      `${plural(schedule.totalTrials - configurations, 'promotion')}), ${plural(schedule.totalEpochs, 'epoch')} trained`,
  ].join('\n');
}

export function planCommand(): Command {
  return new Command('plan')
    .description("print a search algorithm's schedule (Hyperband: trials and epochs per bracket and round; ASHA: its rungs) without running anything")
    .addOption(new Option('--algo <algorithm>', 'search algorithm').choices(['hyperband', 'random', 'asha']).default('hyperband'))
    .addOption(new Option('--sampler <name>', 'how new configurations are drawn: explained after the schedule').choices([...SAMPLER_NAMES]))
    .option('--max-trials <n>', 'random search: trials of the study (default: 20); asha: the trials of the search (default: as many as a Hyperband sweep)', numberFlag('--max-trials'))
    .option('--max-epochs <n>', 'epochs of a trial that runs to the end', numberFlag('--max-epochs'), HYPERBAND_DEFAULTS.maxEpochs)
    .option('--factor <n>', 'trials shrink and epochs grow by this factor per round (a whole number >= 2)', numberFlag('--factor'), HYPERBAND_DEFAULTS.factor)
    .option('--hyperband-iterations <n>', 'full sweeps over the brackets', numberFlag('--hyperband-iterations'))
    .option('--min-epochs <n>', 'asha: epochs of the first rung (default: 1)', numberFlag('--min-epochs'))
    .option('--json', 'machine-readable output')
    .action((opts: PlanOptions) => {
      const sampler = opts.sampler ?? 'random';
      if (opts.algo === 'asha') {
        if (opts.hyperbandIterations !== undefined) throw new GradtuneError('--hyperband-iterations applies to --algo hyperband, not --algo asha');
        const minEpochs = opts.minEpochs ?? ASHA_DEFAULTS.minEpochs;
        ashaRungs({ maxEpochs: opts.maxEpochs, factor: opts.factor, minEpochs });
        const defaultTrials = opts.maxTrials === undefined;
        const maxTrials = opts.maxTrials ?? hyperbandSchedule({ maxEpochs: opts.maxEpochs, factor: opts.factor, iterations: 1 }).totalTrials;
        if (!Number.isInteger(maxTrials) || maxTrials < 1) throw new GradtuneError(`--max-trials must be a whole number >= 1, got ${maxTrials}`);
        const o = { ...opts, minEpochs, maxTrials };
        const out = opts.json
          ? JSON.stringify({ algorithm: 'asha', maxEpochs: o.maxEpochs, factor: o.factor, minEpochs, ...ashaPlan(o), ...(opts.sampler ? { sampler } : {}) }, null, 2)
          : ashaTable(o, defaultTrials) + (opts.sampler ? `\nrung 0 draws its new configurations with the ${describeSampler(sampler)} Promotions keep their parent's configuration.` : '');
        process.stdout.write(out + '\n');
        return;
      }
      if (opts.algo === 'random') {
        const trials = opts.maxTrials ?? 20;
        const text = `random search: ${plural(trials, 'trial')}, each trained for up to --max-epochs (30 by default; the space's epochs and early stopping may end it sooner), each configuration drawn anew.\n${describeSampler(sampler)}`;
        process.stdout.write((opts.json ? JSON.stringify({ algorithm: 'random', trials, sampler }, null, 2) : text) + '\n');
        return;
      }
      if (opts.minEpochs !== undefined || opts.maxTrials !== undefined) throw new GradtuneError(`--min-epochs and --max-trials apply to --algo asha${opts.minEpochs === undefined ? ' and random' : ''}; Hyperband's schedule fixes its trials`);
      const iterations = opts.hyperbandIterations ?? HYPERBAND_DEFAULTS.iterations;
      const schedule = hyperbandSchedule({ maxEpochs: opts.maxEpochs, factor: opts.factor, iterations });
      const out = opts.json
        ? JSON.stringify({ ...planJson(schedule, iterations), ...(opts.sampler ? { sampler } : {}) }, null, 2)
        : planTable(schedule, { ...opts, hyperbandIterations: iterations }) + (opts.sampler ? `\nround 0 of each bracket draws its fresh configurations with the ${describeSampler(sampler)} Promotions keep their parent's configuration.` : '');
      process.stdout.write(out + '\n');
    });
}
