// PostgreSQL for tests: the server CI starts (scripts/with-postgres.sh exports its URL as
// GRADTUNE_TEST_POSTGRES_URL), a schema of their own per test file so files running at the
// same time never see each other's studies, and a private server for tests that stop it.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import pg from 'pg';

/** The test server's URL; unset on a machine without one (the tests then skip, saying so). */
export const POSTGRES_URL = process.env.GRADTUNE_TEST_POSTGRES_URL || undefined;

export const SKIP_MESSAGE =
  'GRADTUNE_TEST_POSTGRES_URL is not set: the PostgreSQL tests are skipped. Run them with scripts/with-postgres.sh npx vitest run (CI always does)';

/** Says once, visibly, that a file's PostgreSQL tests are skipped. */
export function warnIfNoPostgres(file: string): void {
  if (!POSTGRES_URL) process.stderr.write(`${file}: ${SKIP_MESSAGE}\n`);
}

/** The URL with a search_path: the store's tables are made in (and read from) that schema. */
export function withSchema(url: string, schema: string): string {
  const u = new URL(url);
  u.searchParams.set('options', `-c search_path=${schema}`);
  return u.toString();
}

/** Runs SQL on the test server (as the test role, in the given schema). */
export async function sql<T extends pg.QueryResultRow = pg.QueryResultRow>(url: string, text: string, values: unknown[] = []): Promise<T[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<T>(text, values)).rows;
  } finally {
    await client.end();
  }
}

/** A new empty schema on the test server; its URL, and a function that drops it. */
export async function freshSchema(prefix: string): Promise<{ schema: string; url: string; drop: () => Promise<void> }> {
  const base = POSTGRES_URL!;
  const schema = `${prefix}_${randomBytes(4).toString('hex')}`;
  await sql(base, `CREATE SCHEMA ${schema}`);
  return { schema, url: withSchema(base, schema), drop: () => sql(base, `DROP SCHEMA IF EXISTS ${schema} CASCADE`).then(() => undefined) };
}

const WITH_POSTGRES = fileURLToPath(new URL('../../scripts/with-postgres.sh', import.meta.url));

/** A server of the test's own (tests that stop and restart it must not take others' away). */
export interface PrivateServer {
  url: string;
  /** stop | start | restart, through the script's control file. */
  ctl(action: 'stop' | 'start' | 'restart'): Promise<void>;
  close(): Promise<void>;
}

export async function privateServer(): Promise<PrivateServer> {
  // The child prints the server's settings and stays until its stdin closes; the script
  // then stops the server and removes its directory.
  const child: ChildProcess = spawn(
    WITH_POSTGRES,
    [process.execPath, '-e', `process.stdout.write(JSON.stringify({url: process.env.GRADTUNE_TEST_POSTGRES_URL, ctl: process.env.GRADTUNE_TEST_POSTGRES_CTL}) + "\\n"); process.stdin.resume(); process.stdin.on("end", () => process.exit(0));`],
    { stdio: ['pipe', 'pipe', 'pipe'] },
  );
  let out = '';
  let err = '';
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (err += d));
  const settings = await new Promise<{ url: string; ctl: string }>((resolve, reject) => {
    child.stdout!.setEncoding('utf8').on('data', (d: string) => {
      out += d;
      if (out.includes('\n')) resolve(JSON.parse(out.slice(0, out.indexOf('\n'))));
    });
    child.on('exit', (code) => reject(new Error(`with-postgres.sh exited with ${code}: ${err}`)));
  });
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  return {
    url: settings.url,
    ctl: (action) =>
      new Promise<void>((resolve, reject) => {
        const c = spawn(settings.ctl, [action], { stdio: ['ignore', 'ignore', 'pipe'] });
        let e = '';
        c.stderr!.setEncoding('utf8').on('data', (d: string) => (e += d));
        c.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`ctl ${action} exited with ${code}: ${e}`))));
      }),
    close: async () => {
      child.stdin!.end();
      await exited;
    },
  };
}
