// The gradtune command line. User mistakes (GradtuneError, bad flags) print one line
// and exit with code 2; anything else is a bug: the stack is printed and the code is 1.
import { Command, CommanderError } from 'commander';
import { isGradtuneError } from '../errors.js';
import { ExitCode } from './exit-code.js';
import { searchCommand, workerCommand } from './search.js';
import { deleteCommand } from './delete.js';
import { enqueueCommand } from './enqueue.js';
import { reportCommand } from './report.js';
import { bestCommand } from './best.js';
import { planCommand } from './plan.js';
import { studiesCommand } from './studies.js';
import { spacesCommand } from './spaces.js';
import { exportCommand } from './export.js';
import { predictCommand } from './predict.js';

export const USAGE_ERROR = 2;

function program(): Command {
  const root = new Command('gradtune')
    .description('hyperparameter tuning for TensorFlow.js that watches every trial\'s gradients')
    .version('0.1.0');
  for (const cmd of [searchCommand(), workerCommand(), reportCommand(), bestCommand(), studiesCommand(), spacesCommand(), planCommand(), exportCommand(), predictCommand(), enqueueCommand(), deleteCommand()]) root.addCommand(cmd);
  // Throw instead of exiting so the exit code is ours (2 for a bad flag), in every subcommand.
  const override = (cmd: Command) => {
    cmd.exitOverride();
    cmd.commands.forEach(override);
  };
  override(root);
  return root;
}

export async function main(argv: string[]): Promise<number> {
  try {
    await program().parseAsync(argv);
    return 0;
  } catch (err) {
    if (err instanceof ExitCode) return err.code;
    if (err instanceof CommanderError) {
      // Commander has already printed its message (help, version, or the error line).
      return err.exitCode === 0 ? 0 : USAGE_ERROR;
    }
    if (isGradtuneError(err)) {
      process.stderr.write(`gradtune: error: ${err.message}\n`);
      return USAGE_ERROR;
    }
    process.stderr.write(`gradtune: internal error (please report it):\n${err instanceof Error ? err.stack : String(err)}\n`);
    return 1;
  }
}
