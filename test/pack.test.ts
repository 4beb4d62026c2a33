// gradtune as a user gets it: `npm pack` in this checkout (its `prepare` script builds
// dist/ from the current source first, so a stale build is never what is tested), the
// tarball installed into a fresh project in the OS temp dir, and there the README's "Use
// gradtune in your project" section run as written: its files are written from the
// README's code blocks and its shell commands run in order, so the README cannot drift
// from what works. Then what that section promises beyond its examples: JavaScript spaces
// load without tsx, types resolve with `moduleResolution: bundler` too, `require()` works,
// a space outside any project imports the running gradtune, and the built-in spaces,
// datasets and HTML report assets are found inside the installed package.
//
// CI: it needs the npm registry (or an npm cache holding gradtune's dependencies), as
// `npm ci` does. It installs as a user would, better-sqlite3's native build included:
// the install took 9 minutes (the whole file 15, and 25 within the whole suite) on 2
// cores under a load average of about 24, hence the long timeouts. Everything happens in a temporary directory (removed
// afterwards unless GRADTUNE_KEEP_TMP is set); nothing listens on a port, and nothing
// resolves from this checkout's node_modules (the project sits outside it).
// GRADTUNE_SKIP_PACK_TEST=1 skips the file, e.g. offline.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const VERSION = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;
const INSTALL_LINE = 'npm install gradtune';

interface ReadmeFile {
  name: string;
  content: string;
}

/** The README section's code blocks: files (first line `// <name>`) and shell commands, in order. */
function readmeExamples(): { files: ReadmeFile[]; commands: string[] } {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const start = readme.indexOf('\n## Use gradtune in your project\n');
  if (start < 0) throw new Error('README.md has no "## Use gradtune in your project" section');
  const end = readme.indexOf('\n## ', start + 1);
  const section = readme.slice(start, end < 0 ? undefined : end);
  const files: ReadmeFile[] = [];
  const commands: string[] = [];
  for (const [, lang, body] of section.matchAll(/^```(\w*)\n([\s\S]*?)^```$/gm)) {
    const name = /^\/\/ (\S+)\n/.exec(body!)?.[1];
    if (name !== undefined) files.push({ name, content: body! });
    else if (lang === 'sh') {
      for (const line of body!.split('\n')) {
        const command = line.replace(/\s+#.*$/, '').trim();
        if (command) commands.push(...command.split(' && ').map((c) => c.trim()));
      }
    }
  }
  return { files, commands };
}

const { files, commands } = readmeExamples();

/** A README code block anywhere in the file, by the name on its first line (`// <name>`). */
function readmeFile(name: string): string | undefined {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  for (const [, body] of readme.matchAll(/^```\w*\n([\s\S]*?)^```$/gm)) {
    if (body!.startsWith(`// ${name}\n`)) return body!;
  }
  return undefined;
}
const KERAS = readmeFile('keras-style.mjs');
const SPACE = files.find((f) => f.name === 'my-space.ts');
const API = files.find((f) => f.name === 'tune.js');

interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * The environment of the user's shell: without what `npm test` adds for its own
 * package (npm would otherwise take this checkout for the project in some commands).
 */
function userEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0' };
  for (const key of Object.keys(env)) {
    if (/^npm_(?!config_)/i.test(key) || /^npm_config_(local_prefix|global_prefix)$/i.test(key) || key === 'INIT_CWD') delete env[key];
  }
  return env;
}

function run(argv: readonly string[], cwd: string, timeoutMs: number, env: NodeJS.ProcessEnv = {}): Promise<Result> {
  return new Promise((resolve, reject) => {
    const child = spawn(argv[0]!, argv.slice(1), { cwd, env: { ...userEnv(), ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${argv.join(' ')} did not finish within ${timeoutMs} ms\nstdout:\n${stdout}\nstderr:\n${stderr}`));
    }, timeoutMs);
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

async function runOk(argv: readonly string[], cwd: string, timeoutMs: number, env: NodeJS.ProcessEnv = {}): Promise<Result> {
  const result = await run(argv, cwd, timeoutMs, env);
  if (result.code !== 0) {
    throw new Error(`${argv.join(' ')} exited with ${result.code}\nstdout:\n${result.stdout}\nstderr:\n${result.stderr}`);
  }
  return result;
}

const MINUTE = 60_000;

/**
 * better-sqlite3's prebuilt binaries are downloaded from github.com, which this machine (and
 * CI) cannot reach, so installing it compiles SQLite from source: a minute of one core. The
 * checkout's own `npm ci` compiled the same version already; offered to prebuild-install as
 * a local prebuild (the file name it looks for), the fresh project's install unpacks it, and
 * prebuild-install checks that it loads. Another version (the tarball's range resolving to a
 * newer release) finds no file there and is compiled, as for any user.
 */
async function localPrebuilds(dir: string): Promise<NodeJS.ProcessEnv> {
  const module = join(ROOT, 'node_modules', 'better-sqlite3');
  const binary = join(module, 'build', 'Release', 'better_sqlite3.node');
  if (!existsSync(binary)) return {};
  const { version } = JSON.parse(readFileSync(join(module, 'package.json'), 'utf8')) as { version: string };
  mkdirSync(dir, { recursive: true });
  const name = `better-sqlite3-v${version}-node-v${process.versions.modules}-${process.platform}-${process.arch}.tar.gz`;
  const staging = join(dir, 'staging');
  mkdirSync(join(staging, 'build', 'Release'), { recursive: true });
  writeFileSync(join(staging, 'build', 'Release', 'better_sqlite3.node'), readFileSync(binary));
  await runOk(['tar', 'czf', join(dir, name), '-C', staging, 'build'], staging, MINUTE);
  return { npm_config_better_sqlite3_local_prebuilds: dir };
}

describe.skipIf(process.env.GRADTUNE_SKIP_PACK_TEST === '1')('the npm package, installed into a fresh project', () => {
  let work = '';
  let project = '';
  let tarball = '';
  let installEnv: NodeJS.ProcessEnv = {};

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'gradtune-pack-'));
    project = join(work, 'project');
    mkdirSync(project);
    await runOk(['npm', 'pack', '--pack-destination', work], ROOT, 10 * MINUTE);
    tarball = join(work, `gradtune-${VERSION}.tgz`);
    installEnv = await localPrebuilds(join(work, 'prebuilds'));
    expect(existsSync(tarball), `npm pack wrote ${readdirSync(work).join(', ')}`).toBe(true);
  }, 10 * MINUTE);

  afterAll(() => {
    if (work && !process.env.GRADTUNE_KEEP_TMP) rmSync(work, { recursive: true, force: true });
  });

  it('the README section has the examples this test runs', () => {
    expect(SPACE, 'a // my-space.ts block').toBeDefined();
    expect(API, 'a // tune.js block').toBeDefined();
    expect(files.map((f) => f.name)).toContain('tsconfig.json');
    expect(commands.filter((c) => c === INSTALL_LINE)).toHaveLength(1);
    expect(KERAS, 'a // keras-style.mjs block').toBeDefined();
  });

  it('ships the build, the launcher and the datasets, not the TypeScript source', async () => {
    const { stdout } = await runOk(['tar', 'tzf', tarball], work, MINUTE);
    const paths = stdout.split('\n').filter(Boolean);
    for (const path of ['package/bin/gradtune.js', 'package/dist/src/index.js', 'package/dist/src/index.d.ts', 'package/dist/src/index.js.map',
      'package/dist/search-spaces/quick.js', 'package/dist/src/pool/worker-entry.mjs', 'package/dist/src/space/resolve-gradtune.mjs',
      'package/dist/src/report/html/page.js', 'package/dist/src/report/html/page.css', 'package/datasets/digits.csv.gz']) {
      expect(paths).toContain(path);
    }
    expect(paths.filter((p) => p.startsWith('package/src/') || p.startsWith('package/test/'))).toEqual([]);
  });

  // The README's commands, in order, each a test named after the command. The one change:
  // gradtune is not on the registry yet, so `npm install gradtune` installs the tarball.
  for (const command of commands) {
    const install = command.startsWith('npm install');
    it(`README: ${command}`, { timeout: (install ? 25 : 4) * MINUTE }, async () => {
      if (commands.indexOf(command) === 0) {
        for (const file of files) writeFileSync(join(project, file.name), file.content);
      }
      const argv = (command === INSTALL_LINE ? `npm install ${tarball}` : command).split(/\s+/);
      const { stdout } = await runOk(argv, project, (install ? 25 : 4) * MINUTE, command === INSTALL_LINE ? installEnv : {});
      if (command.startsWith('npx gradtune search')) expect(stdout).toContain('reached --max-trials 3');
      if (command.startsWith('npx gradtune best')) expect(stdout).toMatch(/val_accuracy/);
      if (command === 'node tune.js') expect(stdout).toMatch(/^reached --max-trials 3 (0\.\d+|1) \{/);
    });
  }

  it('type-checks the API example as tune.ts against the installed declarations, which are real types', async () => {
    writeFileSync(join(project, 'tune.ts'), API!.content);
    await runOk(['npx', 'tsc'], project, 3 * MINUTE);
    // moduleResolution bundler (command-line flags override tsconfig.json).
    await runOk(['npx', 'tsc', '--module', 'esnext', '--moduleResolution', 'bundler'], project, 3 * MINUTE);
    // Not `any`: a wrong use is an error.
    writeFileSync(join(project, 'wrong.ts'), "import { Tuner } from 'gradtune';\nconst n: number = new Tuner({ space: 'quick' });\nconsole.log(n);\n");
    try {
      const wrong = await run(['npx', 'tsc'], project, 3 * MINUTE);
      expect(wrong.code).not.toBe(0);
      expect(wrong.stdout).toMatch(/wrong\.ts\(2,7\): error TS2322: Type 'Tuner' is not assignable to type 'number'/);
    } finally {
      rmSync(join(project, 'wrong.ts'));
    }
  }, 10 * MINUTE);

  it('runs the README\'s Keras Tuner example (search on arrays, best model back) and, run again, trains nothing more', { timeout: 8 * MINUTE }, async () => {
    writeFileSync(join(project, 'keras-style.mjs'), KERAS!);
    const first = await runOk(['node', 'keras-style.mjs'], project, 4 * MINUTE);
    expect(first.stdout).toMatch(/best hyperparameters: \{/);
    // The model's class probabilities for two points: a [2, 2] tensor printed by tfjs.
    expect(first.stdout).toMatch(/Tensor\s*\[\[[\d.e-]+, [\d.e-]+\],\s*\[[\d.e-]+, [\d.e-]+\]\]/);
    const summary = (out: string) => out.slice(out.indexOf('best hyperparameters:'));
    const again = await runOk(['node', 'keras-style.mjs'], project, 2 * MINUTE);
    expect(summary(again.stdout)).toBe(summary(first.stdout));
  });

  it("require('gradtune') works from CommonJS", async () => {
    writeFileSync(join(project, 'check.cjs'), "const g = require('gradtune');\nconsole.log(typeof g.Tuner, typeof g.defineSearchSpace, typeof g.GradtuneError);\n");
    const { stdout, stderr } = await runOk(['node', 'check.cjs'], project, MINUTE);
    expect(stdout.trim()).toBe('function function function');
    expect(stderr).toBe('');
  });

  it('finds its built-in spaces, datasets and HTML report assets inside the installed package', { timeout: 5 * MINUTE }, async () => {
    const spaces = await runOk(['npx', 'gradtune', 'spaces'], project, MINUTE);
    for (const name of ['mlp:', 'quick:', 'deep-sigmoid:']) expect(spaces.stdout).toContain(name);
    const search = await runOk(['npx', 'gradtune', 'search', '--space', 'quick', '--dataset', 'digits', '--algo', 'random', '--max-trials', '1', '--max-epochs', '2', '--workers', '1'], project, 3 * MINUTE);
    expect(search.stdout).toMatch(/digits: 1797 rows/);
    await runOk(['npx', 'gradtune', 'report', '--study', 'my-space-iris', '--format', 'html', '--out', 'report.html'], project, MINUTE);
    const html = readFileSync(join(project, 'report.html'), 'utf8');
    expect(html).toContain(`gradtune ${VERSION}`);
    expect(statSync(join(project, 'report.html')).size).toBeGreaterThan(500_000); // ECharts and the page's script inlined
  });

  it('loads a JavaScript space (.mjs, in a subfolder) in the main process and in worker threads without tsx', { timeout: 5 * MINUTE }, async () => {
    const folder = join(project, 'js');
    mkdirSync(folder);
    writeFileSync(join(folder, 'my-space.mjs'), SPACE!.content);
    const tsx = join(project, 'node_modules', 'tsx');
    renameSync(tsx, `${tsx}-hidden`);
    try {
      const js = await runOk(['npx', 'gradtune', 'search', '--space', './my-space.mjs', '--dataset', 'iris', '--algo', 'random', '--max-trials', '2', '--workers', '2'], folder, 3 * MINUTE);
      expect(js.stdout).toContain('reached --max-trials 2');
      expect(js.stdout).toMatch(/2 trials: 2 completed/);
      // Without tsx, a TypeScript space is a one-line error, not a crash.
      const ts = await run(['npx', 'gradtune', 'search', '--space', '../my-space.ts', '--dataset', 'iris', '--study', 'ts-space', '--max-trials', '1'], folder, MINUTE);
      expect(ts.code).toBe(2);
      expect(ts.stderr).toMatch(/^gradtune: error: could not import search space \.\.\/my-space\.ts: .*tsx/);
    } finally {
      renameSync(`${tsx}-hidden`, tsx);
    }
  });

  it('gives a space outside any project (no node_modules/gradtune) the gradtune that runs it, as ES module and as CommonJS', { timeout: 5 * MINUTE }, async () => {
    // As with a global install: the launcher is called from elsewhere, by its path.
    const bin = join(project, 'node_modules', '.bin', 'gradtune');
    const elsewhere = join(work, 'elsewhere');
    mkdirSync(join(elsewhere, 'cjs'), { recursive: true });
    writeFileSync(join(elsewhere, 'space.mjs'), SPACE!.content);
    // No package.json up the tree says "type": "module", so tsx loads this one as CommonJS.
    writeFileSync(join(elsewhere, 'cjs', 'space.ts'), SPACE!.content);
    for (const space of ['./space.mjs', './cjs/space.ts']) {
      const { stdout } = await runOk([bin, 'search', '--space', space, '--dataset', 'iris', '--algo', 'random', '--max-trials', '1', '--workers', '1', '--storage', `${space.replace(/\W/g, '')}.db`], elsewhere, 2 * MINUTE);
      expect(stdout).toContain('1 trial: 1 completed');
    }
  });
});
