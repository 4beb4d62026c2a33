// Bayesian optimisation with a Gaussian process, as Keras Tuner's BayesianOptimization
// (keras_tuner/tuners/bayesian.py) does it, with its defaults:
//
// - Start-up: random draws until `numInitialPoints` trials have finished; Keras Tuner's
//   default is 3 × the number of parameters (at least 3). Here a parameter counts once
//   the history holds it and it can take more than one value (Keras Tuner also counts
//   fixed ones), so a conditional parameter counts from when a trial first reached it.
// - The model (gaussian-process.ts): Matérn 5/2, one length scale fitted by maximum
//   marginal likelihood, `alpha` = 1e-4 on the diagonal, normalised targets, over the
//   configurations encoded into the unit cube (gp-encoding.ts: log-scale parameters in
//   log space, choices one-hot, inactive parameters at their default as Keras Tuner does).
// - The acquisition: the lower confidence bound mean - beta·std of the loss (the upper
//   confidence bound of a score to maximise), `beta` = 2.6. Keras Tuner minimises it with
//   L-BFGS from 50 random points of the continuous cube, then rounds to valid values;
//   define-by-run spaces mix discrete and conditional parameters, so here it is
//   minimised over `candidates` random configurations drawn through the space's build,
//   then by local search (one parameter changed at a time, the build run again so
//   conditional parameters appear and vanish as they would) from the best few
//   candidates and the best trials. The winner is the best configuration not yet tried.
// - Running trials are hallucinated as Keras Tuner does: the model's pessimistic
//   estimate (mean + std of the loss) is added as if observed, so parallel asks spread.
//
// Where gradtune differs on purpose:
// - Rejected and failed trials are observations with the worst loss seen at their
//   budget (Keras Tuner skips failed trials), so the model learns to avoid
//   configurations whose gradients vanish or explode.
// - The history is capped at `maxObservations` (100) trials: the best half by score,
//   and the rest spread evenly over the others in trial order. Fitting is cubic in the
//   observations; 100 keeps an ask near 10-20 ms, and beyond a few hundred trials a GP
//   over 100 well-chosen points loses little (Keras Tuner, uncapped, is meant for tens of
//   trials).
// - Inside Hyperband it models only the highest budget (toEpoch) with at least
//   `numInitialPoints` finished trials, as BOHB does (see history.ts).
import { GradtuneError } from '../errors.js';
import { sampleParams } from '../space/define.js';
import type { Decider } from '../space/hyperparameters.js';
import { randomDecider } from '../space/sample.js';
import type { ParamSpec, ParamValue, Params } from '../space/types.js';
import { fitsSpec, isNumeric, isSingleValued } from './axis.js';
import { buildWith } from './build.js';
import { GaussianProcess, normalise } from './gaussian-process.js';
import { encodingFor, type Encoding } from './gp-encoding.js';
import { byNumber, declaredParams, isFinished, modelBudget, budgetOf, type Declared } from './history.js';
import { standardNormal } from './normal.js';
import type { SampleContext, Sampler, TrialSummary } from './types.js';

export interface GpOptions {
  /** Finished trials before the GP models anything; random draws until then. Default: 3 × parameters, at least 3 (Keras Tuner's). */
  numInitialPoints?: number;
  /** Noise added to the kernel's diagonal (Keras Tuner's alpha). Default 1e-4. */
  alpha?: number;
  /** Exploration weight of the confidence bound (Keras Tuner's beta). Default 2.6. */
  beta?: number;
  /** Most finished trials the GP is fitted to (see above). Default 100. */
  maxObservations?: number;
  /** Random configurations the acquisition is evaluated at before local search. Default 200. */
  candidates?: number;
}

type Resolved = Required<Omit<GpOptions, 'numInitialPoints'>> & Pick<GpOptions, 'numInitialPoints'>;

export const GP_DEFAULTS: Readonly<Omit<Resolved, 'numInitialPoints'>> = { alpha: 1e-4, beta: 2.6, maxObservations: 100, candidates: 200 };

/** Local search: starts (best candidates, then best trials) and steps from each. */
const LOCAL_STARTS = 4;
const TRIAL_STARTS = 2;
const LOCAL_STEPS = 20;
/** Most running trials hallucinated (the most recent). */
const MAX_LIARS = 32;

function resolve(opts: GpOptions): Resolved {
  const o = { ...GP_DEFAULTS, ...opts };
  const positive = (name: string, v: number) => {
    if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) throw new GradtuneError(`GP option ${name} must be a number > 0, got ${v}`);
  };
  const whole = (name: string, v: number, min: number) => {
    if (!Number.isInteger(v) || v < min) throw new GradtuneError(`GP option ${name} must be a whole number >= ${min}, got ${v}`);
  };
  positive('alpha', o.alpha);
  if (typeof o.beta !== 'number' || !Number.isFinite(o.beta) || o.beta < 0) throw new GradtuneError(`GP option beta must be a number >= 0, got ${o.beta}`);
  whole('maxObservations', o.maxObservations, 2);
  whole('candidates', o.candidates, 1);
  if (o.numInitialPoints !== undefined) whole('numInitialPoints', o.numInitialPoints, 1);
  return o;
}

export function gpSampler(opts: GpOptions = {}): Sampler {
  const o = resolve(opts);
  return {
    name: 'gp',
    sample(ctx) {
      const trials = byNumber(ctx.trials);
      const declared = declaredParams(ctx.space, trials.filter((t) => t.status !== 'stale'));
      const dimensions = [...declared.values()].filter((d) => !isSingleValued(d.spec)).length;
      const initial = o.numInitialPoints ?? Math.max(3 * dimensions, 3);
      const budget = modelBudget(trials, initial);
      const random = () => sampleParams(ctx.space, randomDecider(ctx.rng));
      if (budget === undefined) return random();
      const encoding = encodingFor(declared);
      if (encoding.width === 0) return random();
      const model = fitModel(ctx, trials, budget, encoding, o);
      if (!model) return random();
      return minimiseAcquisition(ctx, trials, declared, encoding, model, o);
    },
  };
}

interface Fitted {
  gp: GaussianProcess;
  /** The trials the model learnt from (for local-search starts), best first. */
  best: Params[];
  scratch: Float64Array;
}

function fitModel(ctx: SampleContext, trials: readonly TrialSummary[], budget: number, encoding: Encoding, o: Resolved): Fitted | undefined {
  const sign = ctx.direction === 'max' ? -1 : 1;
  const loss = (t: TrialSummary) => (t.score !== null && Number.isFinite(t.score) && (t.status === 'completed' || t.status === 'pruned') ? sign * t.score : null);
  const observed = capped(
    trials.filter((t) => isFinished(t) && budgetOf(t) === budget),
    o.maxObservations,
    loss,
  );
  let worst = -Infinity;
  for (const t of observed) {
    const l = loss(t);
    if (l !== null && l > worst) worst = l;
  }
  if (worst === -Infinity) worst = 0;
  const raw = Float64Array.from(observed, (t) => loss(t) ?? worst);
  const { y } = normalise(raw);
  const liars = trials.filter((t) => t.status === 'running' && t.parent === null).slice(-MAX_LIARS);
  const width = encoding.width;
  const x = new Float64Array((observed.length + liars.length) * width);
  observed.forEach((t, i) => encoding.encode(t.params, x, i * width));
  let gp: GaussianProcess;
  try {
    gp = GaussianProcess.fit(x.subarray(0, observed.length * width), y, width, o.alpha);
    if (liars.length > 0) {
      // Each running trial as if it had scored the model's pessimistic estimate.
      const scratch = new Float64Array(observed.length);
      const lied = new Float64Array(observed.length + liars.length);
      lied.set(y);
      liars.forEach((t, i) => {
        const at = (observed.length + i) * width;
        encoding.encode(t.params, x, at);
        const p = gp.predict(x, at, scratch);
        lied[observed.length + i] = p.mean + p.std;
      });
      gp = GaussianProcess.withLengthScale(x, lied, width, o.alpha, gp.lengthScale);
    }
  } catch {
    // A kernel matrix that is not positive definite despite alpha: draw at random.
    return undefined;
  }
  const ranked = observed
    .map((t) => ({ t, l: loss(t) }))
    .filter((e): e is { t: TrialSummary; l: number } => e.l !== null)
    .sort((a, b) => a.l - b.l || a.t.number - b.t.number);
  return { gp, best: ranked.slice(0, TRIAL_STARTS).map((e) => e.t.params), scratch: new Float64Array(observed.length + liars.length) };
}

/**
 * At most `cap` observations: the best half by loss, then the others spread evenly in
 * trial order (rejected and failed ones among them).
 */
export function capped(observations: readonly TrialSummary[], cap: number, loss: (t: TrialSummary) => number | null): TrialSummary[] {
  if (observations.length <= cap) return [...observations];
  const scored = observations.filter((t) => loss(t) !== null).sort((a, b) => loss(a)! - loss(b)! || a.number - b.number);
  const best = new Set(scored.slice(0, Math.ceil(cap / 2)));
  const rest = observations.filter((t) => !best.has(t));
  const room = cap - best.size;
  const spread = Array.from({ length: room }, (_, i) => rest[Math.floor((i * rest.length) / room)]);
  return [...best, ...spread].sort((a, b) => a.number - b.number);
}

interface Scored {
  params: Params;
  acquisition: number;
}

function minimiseAcquisition(
  ctx: SampleContext,
  trials: readonly TrialSummary[],
  declared: ReadonlyMap<string, Declared>,
  encoding: Encoding,
  model: Fitted,
  o: Resolved,
): Params {
  const point = new Float64Array(encoding.width);
  const acquisition = (params: Params): number => {
    encoding.encode(params, point, 0);
    const p = model.gp.predict(point, 0, model.scratch);
    return p.mean - o.beta * p.std;
  };
  // Every configuration evaluated, random candidates and local-search steps alike.
  const evaluated: Scored[] = [];
  const candidates: Scored[] = [];
  for (let i = 0; i < o.candidates; i++) {
    const params = sampleParams(ctx.space, randomDecider(ctx.rng));
    const scored = { params, acquisition: acquisition(params) };
    candidates.push(scored);
    evaluated.push(scored);
  }
  candidates.sort((a, b) => a.acquisition - b.acquisition);
  const starts = [...candidates.slice(0, LOCAL_STARTS), ...model.best.map((params) => ({ params, acquisition: acquisition(params) }))];
  for (const start of starts) {
    let current = start;
    for (let step = 0; step < LOCAL_STEPS; step++) {
      const params = neighbour(ctx, current.params, declared, encoding, 0.2 * Math.pow(0.85, step));
      if (params === undefined) break;
      const next = { params, acquisition: acquisition(params) };
      evaluated.push(next);
      if (next.acquisition < current.acquisition) current = next;
    }
  }
  // The best configuration not tried yet (usually the first: a scan per candidate
  // checked, each comparison stopping at the first value that differs).
  evaluated.sort((a, b) => a.acquisition - b.acquisition);
  const winner = evaluated.find((s) => !trials.some((t) => sameParams(t.params, s.params)));
  // Every configuration evaluated was tried already (a tiny space): the oracle redraws.
  return (winner ?? evaluated[0]).params;
}

function sameParams(a: Params, b: Params): boolean {
  let count = 0;
  for (const name in a) {
    if (!Object.hasOwn(b, name) || a[name] !== b[name]) return false;
    count++;
  }
  return count === Object.keys(b).length;
}

/**
 * `params` with one modelled parameter changed (a numeric one moved by a normal step of
 * `scale` on its unit axis, a choice or boolean set to another value), the build run
 * again: parameters it newly reaches are drawn at random, the others keep their values.
 */
function neighbour(ctx: SampleContext, params: Params, declared: ReadonlyMap<string, Declared>, encoding: Encoding, scale: number): Params | undefined {
  const movable = encoding.names.filter((name) => Object.hasOwn(params, name));
  if (movable.length === 0) return undefined;
  const name = movable[Math.min(movable.length - 1, Math.floor(ctx.rng() * movable.length))];
  const spec = declared.get(name)!.spec;
  const changed: Params = { ...params, [name]: moved(spec, params[name], encoding, scale, ctx.rng) };
  const random = randomDecider(ctx.rng);
  const decide: Decider = (s, dflt) => (Object.hasOwn(changed, s.name) && fitsSpec(s, changed[s.name]) ? changed[s.name] : random(s, dflt));
  return buildWith(ctx.space, decide);
}

function moved(spec: ParamSpec, value: ParamValue, encoding: Encoding, scale: number, rng: () => number): ParamValue {
  if (isNumeric(spec)) {
    const axis = encoding.axis(spec.name)!;
    const place = typeof value === 'number' ? axis.position(value) : null;
    const u = place === null ? rng() : (place - axis.lo) / (axis.hi - axis.lo);
    const next = Math.min(1, Math.max(0, u + scale * standardNormal(rng)));
    return axis.valueAt(axis.lo + next * (axis.hi - axis.lo));
  }
  if (spec.kind === 'boolean') return !value;
  if (spec.kind === 'choice') {
    const others = spec.values.filter((v) => v !== value);
    return others[Math.min(others.length - 1, Math.floor(rng() * others.length))];
  }
  return value;
}
