// `gradtune dashboard`: serves the studies of a store over HTTP while searches write to it.
// It opens the store read-only (as reports do), so it never writes to it nor takes its
// write lock, and runs until Ctrl-C or SIGTERM (exit code 0: stopping is how it ends).
import { Command } from 'commander';
import { startDashboard, isLoopback } from '../dashboard/server.js';
import { GradtuneError } from '../errors.js';
import { openExistingStore } from '../store/existing.js';
import { storageFromEnv } from '../store/open-store.js';
import { intFlag, STORAGE_HELP } from './flags.js';
import { writeStderr, writeStdout } from './output.js';

interface DashboardFlags {
  storage?: string;
  host: string;
  port: number;
}

function checkPort(port: number): void {
  if (port < 0 || port > 65535) throw new GradtuneError(`--port ${port} is not a TCP port; give one from 1 to 65535 (or 0 for any free port)`);
}

/** A failure to listen, as one line that says what to do. */
function listenError(err: NodeJS.ErrnoException, host: string, port: number): Error {
  switch (err.code) {
    case 'EADDRINUSE':
      return new GradtuneError(`port ${port} is already in use on ${host}; pass another --port (or stop what listens there)`);
    case 'EACCES':
      return new GradtuneError(`not allowed to listen on port ${port} of ${host} (ports below 1024 need privileges); pass --port 8080 or another above 1023`);
    case 'EADDRNOTAVAIL':
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return new GradtuneError(`--host ${host} is not an address of this machine; use 127.0.0.1 (this machine only) or 0.0.0.0 (every network)`);
    default:
      return err;
  }
}

export function dashboardCommand(): Command {
  return new Command('dashboard')
    .description("serve a live dashboard of the store's studies over HTTP (read-only; updates while searches run)")
    .option('--storage <path|url>', STORAGE_HELP)
    .option('--host <address>', 'address to listen on; anything but loopback makes the store readable from the network', '127.0.0.1')
    .option('--port <n>', 'port to listen on (0: any free port)', intFlag('--port'), 8080)
    .action(async (opts: DashboardFlags) => {
      checkPort(opts.port);
      const store = await openExistingStore(storageFromEnv(opts.storage));
      let dashboard;
      try {
        dashboard = await startDashboard({ store, host: opts.host, port: opts.port });
      } catch (err) {
        await store.close();
        throw listenError(err as NodeJS.ErrnoException, opts.host, opts.port);
      }
      if (!isLoopback(opts.host)) {
        writeStderr(
          `gradtune: warning: listening on ${opts.host}: every study in ${store.location} (names, parameters, scores, errors) is visible to anyone who can reach port ${dashboard.server.address() && (dashboard.server.address() as { port: number }).port} of this machine; there is no login\n`,
        );
      }
      writeStdout(`gradtune dashboard: ${store.location} at ${dashboard.url} (read-only; Ctrl-C to stop)\n`);
      await new Promise<void>((resolve) => {
        process.once('SIGINT', resolve);
        process.once('SIGTERM', resolve);
      });
      await dashboard.close();
      await store.close();
    });
}
