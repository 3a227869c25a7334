/**
 * The PostgreSQL tests use: 127.0.0.1:5432, trust auth, database `test`
 * (CORTEN_TEST_PG overrides), one fresh schema per test file, dropped after.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';

export const PG_URL = process.env.CORTEN_TEST_PG ?? 'postgres://postgres@127.0.0.1:5432/test';

/** A schema name no other test uses. */
export function freshSchema(label: string): string {
  return `t_${label
    .replace(/[^a-z0-9]+/gi, '_')
    .toLowerCase()
    .slice(0, 30)}_${randomBytes(4).toString('hex')}`;
}

/** The --store URL of a schema. */
export function storeUrl(schema: string): string {
  return `${PG_URL}?schema=${schema}`;
}

export async function dropSchemas(schemas: readonly string[]): Promise<void> {
  if (schemas.length === 0) return;
  const client = new pg.Client({ connectionString: PG_URL });
  await client.connect();
  try {
    for (const schema of schemas) await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  } finally {
    await client.end();
  }
}
