/**
 * The PostgreSQL benches use: 127.0.0.1:5432, database `test` (CORTEN_BENCH_PG
 * overrides), a fresh schema per bench, dropped after.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';

const PG_URL = process.env.CORTEN_BENCH_PG ?? 'postgres://postgres@127.0.0.1:5432/test';

export function benchSchema(label: string): { url: string; schema: string } {
  const schema = `bench_${label}_${randomBytes(4).toString('hex')}`;
  return { url: `${PG_URL}?schema=${schema}`, schema };
}

export async function dropSchema(schema: string): Promise<void> {
  const client = new pg.Client({ connectionString: PG_URL });
  await client.connect();
  try {
    await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  } finally {
    await client.end();
  }
}

/** Reads the leader lease's epoch of `schema`: the moment a claim lands, before the new leader rebuilds. */
export async function epochReader(schema: string): Promise<{ read(): Promise<number>; close(): Promise<void> }> {
  const client = new pg.Client({ connectionString: PG_URL });
  await client.connect();
  return {
    read: async () => {
      const { rows } = await client.query<{ epoch: string }>(`SELECT epoch FROM ${schema}.leader_lease`);
      return Number(rows[0]?.epoch ?? 0);
    },
    close: () => client.end(),
  };
}
