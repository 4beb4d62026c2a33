// Brings a PostgreSQL database's gradtune schema up to date. Several processes starting
// at once on an empty database serialise on an advisory lock: the first creates the
// tables, the others find them in place. A database written by a newer gradtune, and one
// whose tables gradtune did not make, are refused with one line, touching nothing.
import type pg from 'pg';
import { GradtuneError } from '../errors.js';
import { POSTGRES_MIGRATIONS, POSTGRES_SCHEMA_VERSION } from './postgres-schema.js';

/** The advisory lock key the migrations hold: "gradtune" as 8 ASCII bytes, read as a bigint. */
const MIGRATION_LOCK = '7453010326434082405';

/** The schema's version, or undefined when the database has no gradtune store yet. */
export async function postgresSchemaVersion(client: pg.ClientBase): Promise<number | undefined> {
  const { rows } = await client.query<{ present: boolean }>(`SELECT to_regclass('gradtune_schema') IS NOT NULL AS present`);
  if (!rows[0].present) return undefined;
  const version = await client.query<{ version: number }>('SELECT version FROM gradtune_schema');
  return version.rows[0]?.version ?? 0;
}

export async function migratePostgres(client: pg.ClientBase, location: string, opts: { readOnly: boolean }): Promise<void> {
  const found = await postgresSchemaVersion(client);
  if (found !== undefined && found > POSTGRES_SCHEMA_VERSION) throw newerSchema(location, found);
  if (found === POSTGRES_SCHEMA_VERSION) return;
  if (opts.readOnly) {
    if (found === undefined) {
      throw new GradtuneError(`no gradtune store in ${location} (the database has no gradtune tables): run gradtune search first, or point --storage at your store`);
    }
    throw new GradtuneError(`the store in ${location} is from an older gradtune (schema version ${found}); run gradtune search or gradtune worker on it once to upgrade it`);
  }
  // DDL is transactional in PostgreSQL: the whole upgrade commits or none of it.
  await client.query('BEGIN');
  try {
    await client.query(`SELECT pg_advisory_xact_lock(${MIGRATION_LOCK})`);
    await client.query(`CREATE TABLE IF NOT EXISTS gradtune_schema (
      one     BOOLEAN PRIMARY KEY DEFAULT TRUE CHECK (one),
      version INTEGER NOT NULL
    )`);
    // Read again under the lock: another process may have migrated meanwhile.
    await client.query('INSERT INTO gradtune_schema (version) VALUES (0) ON CONFLICT (one) DO NOTHING');
    const { rows } = await client.query<{ version: number }>('SELECT version FROM gradtune_schema');
    const current = rows[0].version;
    if (current > POSTGRES_SCHEMA_VERSION) throw newerSchema(location, current);
    for (let v = current; v < POSTGRES_SCHEMA_VERSION; v++) await client.query(POSTGRES_MIGRATIONS[v]);
    await client.query('UPDATE gradtune_schema SET version = $1', [POSTGRES_SCHEMA_VERSION]);
    await client.query('COMMIT');
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    const code = (err as { code?: string }).code;
    if (code === '42P07') {
      // duplicate_table: some other program's table of the same name, not ours to alter.
      const table = /relation "([^"]+)"/.exec((err as Error).message)?.[1] ?? 'of the same name';
      throw new GradtuneError(
        `${location} already has a table ${table} that gradtune did not create; use a database of its own (createdb gradtune) or another schema (?options=-c%20search_path%3Dgradtune)`,
      );
    }
    if (code === '42501') {
      throw new GradtuneError(`the user in ${location} may not create tables (${(err as Error).message}); use a database the user owns, or GRANT CREATE ON SCHEMA to it`);
    }
    throw err;
  }
}

function newerSchema(location: string, version: number): GradtuneError {
  return new GradtuneError(
    `${location} was created by a newer gradtune (PostgreSQL schema version ${version}, this gradtune knows up to ${POSTGRES_SCHEMA_VERSION}); upgrade gradtune`,
  );
}
