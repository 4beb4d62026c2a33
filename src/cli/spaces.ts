import { Command } from 'commander';
import { BUILTIN_SPACES, loadSpace } from '../space/load.js';
import { describeSpace } from '../space/define.js';
import { formatParamSpec } from '../space/params.js';

export function spacesCommand(): Command {
  return new Command('spaces')
    .description('list the built-in search spaces and their parameters (or describe one module)')
    .option('--space <name|path>', 'describe only this space (a built-in name or a module path)')
    .action(async (opts: { space?: string }) => {
      const refs = opts.space
        ? [(BUILTIN_SPACES as readonly string[]).includes(opts.space) ? { builtin: opts.space } : { path: opts.space }]
        : BUILTIN_SPACES.map((builtin) => ({ builtin }));
      const out: string[] = [];
      for (const ref of refs) {
        const space = await loadSpace(ref);
        const specs = describeSpace(space);
        const width = Math.max(...specs.map((s) => s.name.length));
        out.push(`${ref.builtin ?? ref.path}: ${space.description}`);
        for (const spec of specs) out.push(`  ${formatParamSpec(spec, width)}`);
        out.push('');
      }
      process.stdout.write(out.join('\n'));
    });
}
