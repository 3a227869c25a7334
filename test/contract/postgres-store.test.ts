/**
 * The Store contract on PostgreSQL: each place the suite hands out (a fresh
 * folder path) is a schema of its own, named after the path, dropped after
 * the file.
 */
import { createHash } from 'node:crypto';
import { afterAll } from 'vitest';
import { PostgresStore } from '../../src/store/index.js';
import { dropSchemas, PG_URL } from '../helpers/postgres.js';
import { describeStoreContract } from './store-contract.js';

const schemas = new Set<string>();

function schemaOf(place: string): string {
  const schema = `contract_${createHash('sha256').update(place).digest('hex').slice(0, 16)}`;
  schemas.add(schema);
  return schema;
}

afterAll(() => dropSchemas([...schemas]));

describeStoreContract('postgres', (place, options) =>
  PostgresStore.open({ url: PG_URL, schema: schemaOf(place), ...options }),
);
