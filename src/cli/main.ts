// The gradtune command line. User mistakes (GradtuneError, bad flags) print one line
// and exit with code 2; anything else is a bug: the stack is printed and the code is 1.
import { Command, CommanderError } from 'commander';
import { isGradtuneError } from '../errors.js';
import { CLOSED_OUTPUT_EXIT, ExitCode } from './exit-code.js';
import { isReaderGone, onOutputClosed, outputClosed, watchOutput, writeStderr, type OutputClosed } from './output.js';
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
import { dashboardCommand } from './dashboard.js';

export const USAGE_ERROR = 2;

/** The command's path for a hint: `gradtune search`. */
function commandPath(cmd: Command): string {
  const names: string[] = [];
  for (let c: Command | null = cmd; c; c = c.parent) names.unshift(c.name());
  return names.join(' ');
}

/**
 * Commander's own errors (an unknown flag, a value outside `.choices()`, a missing
 * argument) as every other user error is written: one line, `gradtune: error:` first,
 * and where to look for the right spelling.
 */
function commanderErrorLine(cmd: Command, text: string): string {
  // One line: commander puts its "(Did you mean search?)" on a second one.
  const message = text.trim().replace(/^error: /, '').replace(/\s*\n\s*/g, ' ');
  // A list of allowed values already says how to fix it; the others point at the help.
  const hint = /Allowed choices are/.test(message) ? '' : `; see ${commandPath(cmd)} --help`;
  return `gradtune: error: ${message}${hint}\n`;
}

function program(): Command {
  const root = new Command('gradtune')
    .description('hyperparameter tuning for TensorFlow.js that watches every trial\'s gradients')
    .version('0.1.0');
  for (const cmd of [searchCommand(), workerCommand(), reportCommand(), bestCommand(), studiesCommand(), spacesCommand(), planCommand(), exportCommand(), predictCommand(), enqueueCommand(), deleteCommand(), dashboardCommand()]) root.addCommand(cmd);
  // Throw instead of exiting so the exit code is ours (2 for a bad flag), in every
  // subcommand; addCommand() does not pass settings on, so each command gets them.
  const configure = (cmd: Command) => {
    cmd.exitOverride();
    cmd.configureOutput({ outputError: (text, write) => write(commanderErrorLine(cmd, text)) });
    cmd.commands.forEach(configure);
  };
  configure(root);
  return root;
}

/** A failure to write our output that is not the reader leaving: one line naming it. */
function outputFailureLine(why: OutputClosed): string {
  return `gradtune: error: could not write to ${why.stream} (${why.message.split(',')[0]}); free space or redirect ${why.stream} elsewhere\n`;
}

export async function main(argv: string[]): Promise<number> {
  watchOutput();
  // A failure noticed after main has returned (a write still queued when it failed) still
  // sets the exit code; one noticed before is returned below.
  let returned = false;
  onOutputClosed((why) => {
    if (returned && !isReaderGone(why) && process.exitCode !== USAGE_ERROR) {
      writeStderr(outputFailureLine(why));
      process.exitCode = USAGE_ERROR;
    }
  });
  const code = await run(argv);
  returned = true;
  const closed = outputClosed();
  // A search stopped by its stdout failing exits 141 when the reader left; a full disk is named.
  if (closed && !isReaderGone(closed) && (code === 0 || code === CLOSED_OUTPUT_EXIT)) {
    writeStderr(outputFailureLine(closed));
    return USAGE_ERROR;
  }
  return code;
}

async function run(argv: string[]): Promise<number> {
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
      writeStderr(`gradtune: error: ${err.message}\n`);
      return USAGE_ERROR;
    }
    writeStderr(`gradtune: internal error (please report it):\n${err instanceof Error ? err.stack : String(err)}\n`);
    return 1;
  }
}
