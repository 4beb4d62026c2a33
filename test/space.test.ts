import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative as relative_ } from 'node:path';
import seedrandom from 'seedrandom';
import { afterAll, describe, expect, it } from 'vitest';
import { GradtuneError } from '../src/errors.js';
import { buildConfig, defineSearchSpace, describeSpace, isSearchSpace } from '../src/space/define.js';
import { HyperParameters, type Decider } from '../src/space/hyperparameters.js';
import { BUILTIN_SPACES, loadSpace } from '../src/space/load.js';
import { formatParamSpec, paramsKey } from '../src/space/params.js';
import { defaultDecider, fixedDecider, randomDecider } from '../src/space/sample.js';
import type { HyperParametersApi, ParamSpec, TrialConfig } from '../src/space/types.js';
import { expectGradtuneError } from './helpers/errors.js';

const CONFIG: TrialConfig = {
  model: { kind: 'mlp', hidden: [] },
  training: { optimizer: 'adam', learningRate: 1e-3, batchSize: 32 },
};

const conditional = defineSearchSpace({
  name: 'conditional',
  description: 'layers decides which units_i exist',
  build(hp) {
    const layers = hp.int('layers', 1, 3);
    for (let i = 1; i <= layers; i++) hp.int(`units_${i}`, 8, 64);
    return CONFIG;
  },
});

/** A rng of fixed seed, so sampling statistics are deterministic. */
const rng = (seed = 'test') => seedrandom(seed);

/** Draws `n` values of one parameter declared by `declare`. */
function draw<T>(n: number, declare: (hp: HyperParametersApi) => T, seed = 'draw'): T[] {
  const r = rng(seed);
  return Array.from({ length: n }, () => declare(new HyperParameters(randomDecider(r))));
}

describe('HyperParameters', () => {
  it('records reached parameters in declaration order and leaves unreached ones out', () => {
    const built = buildConfig(conditional, fixedDecider({ layers: 2, units_1: 16, units_2: 32, units_3: 64 }));
    expect(built.params).toEqual({ layers: 2, units_1: 16, units_2: 32 });
    expect(built.specs.map((s) => s.name)).toEqual(['layers', 'units_1', 'units_2']);
    expect('units_3' in built.params).toBe(false);
  });

  it('returns the same value when a name is reached twice with the same declaration', () => {
    const hp = new HyperParameters(randomDecider(rng()));
    const a = hp.float('lr', 1e-4, 1e-1, { sampling: 'log' });
    const b = hp.float('lr', 1e-4, 1e-1, { sampling: 'log' });
    expect(b).toBe(a);
    expect(hp.specs).toHaveLength(1);
    // `step: 1` is an int's default step: the same declaration.
    hp.int('n', 1, 5);
    expect(() => hp.int('n', 1, 5, { step: 1 })).not.toThrow();
  });

  it('rejects a name declared again with a different kind or range', () => {
    const hp = new HyperParameters(defaultDecider());
    hp.int('units', 8, 512);
    expectGradtuneError(() => hp.int('units', 8, 256), /"units" is declared twice.*int 8\.\.512.*int 8\.\.256/);
    expectGradtuneError(() => hp.float('units', 8, 512), /"units" is declared twice/);
    hp.choice('act', ['relu', 'tanh']);
    expectGradtuneError(() => hp.choice('act', ['relu', 'elu']), /"act" is declared twice/);
  });

  it('uses Keras Tuner defaults when none is given', () => {
    const built = buildConfig(
      {
        name: 'd',
        description: '',
        build(hp) {
          hp.int('i', 3, 9);
          hp.float('f', 0.5, 2);
          hp.choice('c', ['b', 'a']);
          hp.boolean('b');
          hp.fixed('x', 'y');
          hp.int('given', 1, 10, { default: 7 });
          return CONFIG;
        },
      },
      defaultDecider(),
    );
    expect(built.params).toEqual({ i: 3, f: 0.5, c: 'b', b: false, x: 'y', given: 7 });
  });

  const invalid: Array<[string, (hp: HyperParametersApi) => unknown, RegExp]> = [
    ['min > max', (hp) => hp.int('u', 10, 1), /"u": min \(10\) is greater than max \(1\)/],
    ['non-finite bound', (hp) => hp.float('f', 0, Infinity), /"f": bounds must be finite/],
    ['NaN bound', (hp) => hp.float('f', NaN, 1), /"f": bounds must be finite/],
    ['fractional int bounds', (hp) => hp.int('u', 1.5, 4), /"u": int bounds must be whole numbers.*hp\.float/],
    ['step 0', (hp) => hp.float('d', 0, 1, { step: 0 }), /"d": step must be a number > 0/],
    ['negative step', (hp) => hp.int('u', 0, 10, { step: -2 }), /"u": step must be a number > 0/],
    ['fractional int step', (hp) => hp.int('u', 0, 10, { step: 0.5 }), /"u": int step must be a whole number/],
    ['log with min 0', (hp) => hp.float('lr', 0, 1, { sampling: 'log' }), /"lr": log sampling needs min > 0/],
    ['reverseLog with negative min', (hp) => hp.float('m', -1, 1, { sampling: 'reverseLog' }), /"m": reverseLog sampling needs min > 0/],
    ['log int with min 0', (hp) => hp.int('u', 0, 8, { sampling: 'log' }), /"u": log sampling needs min > 0/],
    ['unknown sampling', (hp) => hp.float('f', 1, 2, { sampling: 'lg' as 'log' }), /"f": sampling must be one of linear, log, reverseLog/],
    ['empty choice', (hp) => hp.choice('c', []), /"c": choice needs a non-empty list/],
    ['mixed choice', (hp) => hp.choice<number | string>('c', [32, '64']), /"c": choice values must all be of one type, got number and string/],
    ['duplicate choice', (hp) => hp.choice('c', [1, 2, 1]), /"c": value 1 is listed twice/],
    ['int default out of range', (hp) => hp.int('u', 8, 512, { default: 600 }), /"u": default 600 is outside 8\.\.512/],
    ['float default out of range', (hp) => hp.float('f', 0, 1, { default: -0.1 }), /"f": default -0\.1 is outside 0\.\.1/],
    ['fractional int default', (hp) => hp.int('u', 1, 10, { default: 2.5 }), /"u": default 2\.5 of an int must be a whole number/],
    ['choice default not a value', (hp) => hp.choice('c', ['relu', 'tanh'], { default: 'elu' as 'relu' }), /"c": default "elu" is not one of "relu", "tanh"/],
    ['empty name', (hp) => hp.boolean(''), /parameter name must be a non-empty string/],
  ];
  it.each(invalid)('rejects %s with a one-line GradtuneError naming the parameter', (_label, declare, pattern) => {
    expectGradtuneError(() => declare(new HyperParameters(defaultDecider())), pattern);
  });

  it('rejects a replayed value the spec cannot hold', () => {
    const hp = new HyperParameters(fixedDecider({ units: 1000 }));
    expectGradtuneError(() => hp.int('units', 8, 512), /"units": value 1000 does not fit int 8\.\.512/);
  });
});

describe('sampling', () => {
  it('keeps linear ints in range, on the step grid, and reaches every grid point', () => {
    const values = draw(2000, (hp) => hp.int('n', 10, 50, { step: 10 }));
    expect(new Set(values)).toEqual(new Set([10, 20, 30, 40, 50]));
  });

  it('does not go past max when the range is not a multiple of step', () => {
    const values = draw(2000, (hp) => hp.int('n', 0, 10, { step: 4 }));
    expect(new Set(values)).toEqual(new Set([0, 4, 8]));
  });

  it('samples log ints densely at the small end', () => {
    const values = draw(4000, (hp) => hp.int('n', 1, 1024, { sampling: 'log' }));
    expect(values.every((v) => Number.isInteger(v) && v >= 1 && v <= 1024)).toBe(true);
    // Log-uniform: half the draws below sqrt(1024) = 32; uniform would give 3%.
    const small = values.filter((v) => v <= 32).length / values.length;
    expect(small).toBeGreaterThan(0.4);
    expect(small).toBeLessThan(0.6);
    expect(values).toContain(1);
    expect(values).toContain(1024);
  });

  it('samples log floats uniformly per decade', () => {
    const values = draw(4000, (hp) => hp.float('lr', 1e-4, 1e-1, { sampling: 'log' }));
    expect(values.every((v) => v >= 1e-4 && v <= 1e-1)).toBe(true);
    const firstDecade = values.filter((v) => v < 1e-3).length / values.length;
    expect(firstDecade).toBeGreaterThan(0.28);
    expect(firstDecade).toBeLessThan(0.39);
  });

  it('concentrates reverseLog floats near max', () => {
    const values = draw(4000, (hp) => hp.float('m', 0.01, 1, { sampling: 'reverseLog' }));
    expect(values.every((v) => v >= 0.01 && v <= 1)).toBe(true);
    // Mirror of log sampling: half the draws above max + min - sqrt(min * max) = 0.91.
    const high = values.filter((v) => v > 0.91).length / values.length;
    expect(high).toBeGreaterThan(0.4);
    expect(high).toBeLessThan(0.6);
  });

  it('snaps stepped floats to tidy grid values', () => {
    const values = draw(2000, (hp) => hp.float('dropout', 0, 0.5, { step: 0.05 }));
    const grid = Array.from({ length: 11 }, (_, k) => Number((k * 0.05).toFixed(2)));
    expect(new Set(values)).toEqual(new Set(grid));
    // A step that does not divide the range exactly in binary: 0.3 / 0.1 = 2.999...
    const tenths = draw(1000, (hp) => hp.float('t', 0, 0.3, { step: 0.1 }));
    expect(new Set(tenths)).toEqual(new Set([0, 0.1, 0.2, 0.3]));
  });

  it('picks choices uniformly and booleans 50/50', () => {
    const choices = draw(3000, (hp) => hp.choice('c', ['a', 'b', 'c']));
    for (const v of ['a', 'b', 'c']) {
      const share = choices.filter((c) => c === v).length / choices.length;
      expect(share).toBeGreaterThan(0.28);
      expect(share).toBeLessThan(0.39);
    }
    const bools = draw(2000, (hp) => hp.boolean('b'));
    const trues = bools.filter(Boolean).length / bools.length;
    expect(trues).toBeGreaterThan(0.45);
    expect(trues).toBeLessThan(0.55);
    expect(draw(5, (hp) => hp.fixed('x', 7))).toEqual([7, 7, 7, 7, 7]);
  });

  it('fixedDecider replays a random configuration exactly', async () => {
    const mlp = await loadSpace({ builtin: 'mlp' });
    for (let seed = 0; seed < 20; seed++) {
      const original = buildConfig(mlp, randomDecider(rng(String(seed))));
      const replay = buildConfig(mlp, fixedDecider(original.params));
      expect(replay.params).toEqual(original.params);
      expect(replay.config).toEqual(original.config);
      expect(mlp.configFor(original.params)).toEqual(original.config);
    }
  });

  it('fixedDecider gives a missing parameter its default', () => {
    const decider: Decider = fixedDecider({ layers: 3 });
    expect(buildConfig(conditional, decider).params).toEqual({ layers: 3, units_1: 8, units_2: 8, units_3: 8 });
  });
});

describe('defineSearchSpace and describeSpace', () => {
  it('validates the definition', () => {
    const build = () => CONFIG;
    expectGradtuneError(() => defineSearchSpace({ name: '', description: 'x', build }), /name must be a non-empty string/);
    expectGradtuneError(() => defineSearchSpace({ name: 'x', build } as never), /description must be a string/);
    expectGradtuneError(() => defineSearchSpace({ name: 'x', description: 'x' } as never), /build must be a function/);
    expect(isSearchSpace(defineSearchSpace({ name: 'x', description: 'x', build }))).toBe(true);
    expect(isSearchSpace({ name: 'x', description: 'x', build })).toBe(false);
  });

  it('reports a build that returns no config against the space', () => {
    const space = defineSearchSpace({ name: 'oops', description: '', build: (() => undefined) as never });
    expectGradtuneError(() => buildConfig(space, defaultDecider()), /search space "oops": build\(hp\) must return \{ model, training \}, got undefined/);
  });

  it('finds conditional parameters the defaults do not reach, next to their siblings', async () => {
    const mlp = await loadSpace({ builtin: 'mlp' });
    const names = describeSpace(mlp).map((s) => s.name);
    const defaults = buildConfig(mlp, defaultDecider()).specs.map((s) => s.name);
    expect(defaults).not.toContain('units_6');
    expect(defaults).not.toContain('clip_value');
    for (const name of ['units_6', 'clip_value', ...defaults]) expect(names).toContain(name);
    expect(names.slice(0, 7)).toEqual(['layers', 'units_1', 'units_2', 'units_3', 'units_4', 'units_5', 'units_6']);
    expect(names.indexOf('clip_value')).toBe(names.indexOf('clip') + 1);
    expect(new Set(names).size).toBe(names.length);
  });

  it('formats specs on one line and keys params canonically', () => {
    const spec: ParamSpec = { kind: 'int', name: 'units_1', min: 8, max: 512, sampling: 'log' };
    expect(formatParamSpec(spec)).toBe('units_1  int 8..512 log');
    expect(formatParamSpec({ kind: 'float', name: 'dropout', min: 0, max: 0.5, step: 0.05, sampling: 'linear' }, 10)).toBe(
      'dropout     float 0..0.5 step 0.05',
    );
    expect(formatParamSpec({ kind: 'choice', name: 'act', values: ['relu', 'tanh'] })).toBe('act  choice relu, tanh');
    expect(paramsKey({ b: 1, a: 'x' })).toBe(paramsKey({ a: 'x', b: 1 }));
    expect(paramsKey({ a: 32 })).not.toBe(paramsKey({ a: '32' }));
  });
});

describe('built-in spaces', () => {
  it.each(BUILTIN_SPACES)('%s builds valid configurations with defaults and random draws', async (name) => {
    const space = await loadSpace({ builtin: name });
    expect(space.name).toBe(name);
    for (let seed = 0; seed < 50; seed++) {
      const { config, params } = buildConfig(space, randomDecider(rng(`b${seed}`)));
      if (config.model.kind !== 'mlp') throw new Error('expected an mlp');
      expect(config.model.hidden).toHaveLength(params.layers as number);
      expect(config.training.learningRate).toBe(params.learning_rate);
    }
  });

  it('quick has units_2 only when layers is 2', async () => {
    const quick = await loadSpace({ builtin: 'quick' });
    const one = buildConfig(quick, fixedDecider({ layers: 1 })).params;
    const two = buildConfig(quick, fixedDecider({ layers: 2 })).params;
    expect('units_2' in one).toBe(false);
    expect(two.units_2).toBe(16);
  });

  it('mlp has clip_value only when clipping', async () => {
    const mlp = await loadSpace({});
    expect(mlp.name).toBe('mlp');
    expect('clip_value' in buildConfig(mlp, defaultDecider()).params).toBe(false);
    const norm = buildConfig(mlp, fixedDecider({ clip: 'norm', clip_value: 2 }));
    expect(norm.config.training.clip).toEqual({ kind: 'norm', value: 2 });
  });
});

describe('loadSpace errors', () => {
  const dir = mkdtempSync(join(tmpdir(), 'gradtune-space-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const define = JSON.stringify(new URL('../src/space/define.ts', import.meta.url).pathname);
  const write = (file: string, source: string) => {
    writeFileSync(join(dir, file), source);
    return join(dir, file);
  };

  async function loadError(ref: { builtin?: string; path?: string }): Promise<string> {
    const err = await loadSpace(ref).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(GradtuneError);
    const message = (err as Error).message;
    expect(message).not.toContain('\n');
    return message;
  }

  it('lists the built-ins for an unknown name', async () => {
    expect(await loadError({ builtin: 'cnn' })).toMatch(/unknown built-in search space "cnn"; choose one of mlp, quick/);
  });

  it('reports a missing file', async () => {
    expect(await loadError({ path: join(dir, 'nope.ts') })).toMatch(/search space file not found: .*nope\.ts/);
  });

  it('reports a module that fails to import, with the cause on the same line', async () => {
    const path = write('syntax.ts', 'export default defineSearchSpace({ name: \n');
    expect(await loadError({ path })).toMatch(/could not import search space .*syntax\.ts: \S/);
    const throws = write('throws.ts', 'throw new Error("boom at import");\n');
    expect(await loadError({ path: throws })).toMatch(/could not import .*throws\.ts: boom at import/);
  });

  it('reports a module without a default export', async () => {
    const path = write('nodefault.ts', 'export const space = 1;\n');
    expect(await loadError({ path })).toMatch(/nodefault\.ts has no default export; end it with `export default defineSearchSpace/);
  });

  it('reports a default export that is not a defineSearchSpace result', async () => {
    const path = write('plain.ts', 'export default { name: "x", description: "", build: () => ({}) };\n');
    expect(await loadError({ path })).toMatch(/plain\.ts: the default export is not a search space; wrap it in defineSearchSpace/);
  });

  it('reports an invalid range when built with the defaults', async () => {
    const path = write(
      'badrange.ts',
      `import { defineSearchSpace } from ${define};\n` +
        'export default defineSearchSpace({ name: "bad", description: "", build(hp) {\n' +
        '  hp.int("units", 512, 8);\n  return { model: { kind: "mlp", hidden: [] }, training: {} };\n} });\n',
    );
    expect(await loadError({ path })).toMatch(/badrange\.ts: parameter "units": min \(512\) is greater than max \(8\)/);
  });

  it('loads a valid space given by a path relative to the working directory', async () => {
    const path = write(
      'good.ts',
      `import { defineSearchSpace } from ${define};\n` +
        'export default defineSearchSpace({ name: "good", description: "", build(hp) {\n' +
        '  hp.int("units", 8, 64);\n  return { model: { kind: "mlp", hidden: [] }, training: { optimizer: "adam", learningRate: 0.01, batchSize: 32 } };\n} });\n',
    );
    const cwd = process.cwd();
    const relative = relative_(cwd, path);
    const space = await loadSpace({ path: relative });
    expect(space.name).toBe('good');
  });
});

describe('training settings and MLP layers a build returns', () => {
  const base = { optimizer: 'adam', learningRate: 0.01, batchSize: 32 };
  const layer = { units: 8, activation: 'relu', initializer: 'heNormal' };
  const spaceReturning = (training: Record<string, unknown>, hidden: Record<string, unknown>[] = [layer]) =>
    defineSearchSpace({ name: 'bad', description: '', build: () => ({ model: { kind: 'mlp', hidden }, training }) as never });
  it.each([
    [{ ...base, optimizer: 'adamw' }, [layer], /training\.optimizer is "adamw"; it must be one of sgd, momentum/],
    [{ ...base, batchSize: 2.5 }, [layer], /training\.batchSize is 2\.5; it must be a whole number >= 1/],
    [{ ...base, learningRate: -0.1 }, [layer], /training\.learningRate is -0\.1; it must be a number > 0/],
    [{ ...base, epochs: 0 }, [layer], /training\.epochs is 0/],
    [{ ...base, earlyStopping: { patience: -1 } }, [layer], /training\.earlyStopping\.patience is -1/],
    [{ ...base, clip: { kind: 'norm', value: -1 } }, [layer], /training\.clip\.value \(clip by norm\) is -1/],
    [{ ...base, decay: 'linear' }, [layer], /training\.decay is "linear"/],
    [base, [{ ...layer, dropout: 1.5 }], /model\.hidden\[0\]\.dropout is 1\.5; it must be a number in \[0, 1\)/],
    [base, [{ ...layer, l2: -1 }], /model\.hidden\[0\]\.l2 is -1/],
    [base, [layer, { ...layer, activation: 'swish' }], /model\.hidden\[1\]\.activation is "swish"/],
  ])('refuses %j / %j with one line naming the setting and its range', (training, hidden, message) => {
    expectGradtuneError(() => spaceReturning(training, hidden).configFor({}), /^search space "bad": /, message);
  });
});
