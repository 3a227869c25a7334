/**
 * How a change set becomes SQL on PostgreSQL. Every round trip to the
 * database costs far more than the statement, so consecutive inserts into one
 * table travel as one multi-row INSERT; everything else is one statement.
 * Each area of the store (core, trust, …) turns its changes into `Write`s in
 * a file of its own; `runWrites` executes them in order inside the commit's
 * transaction.
 */
import { createHash } from 'node:crypto';
import type { PoolClient } from 'pg';

/** A table's insert: columns, and for an upsert its conflict clause and the key a run must not repeat. */
export interface InsertSpec {
  readonly table: string;
  readonly columns: readonly string[];
  /** Appended after VALUES (ON CONFLICT …). */
  readonly conflict?: string;
  /** For upserts: one statement may not touch the same key twice, so a repeated key starts a new run. */
  readonly keyed?: boolean;
}

export type Write =
  | { kind: 'insert'; spec: InsertSpec; values: unknown[]; key?: string }
  | { kind: 'run'; run: (client: PoolClient) => Promise<void> };

/** PostgreSQL takes at most 65535 parameters a statement. */
const MAX_PARAMS = 60_000;

/** Runs writes in order, folding each run of inserts into one table into multi-row statements. */
export async function runWrites(client: PoolClient, writes: readonly Write[]): Promise<void> {
  let i = 0;
  while (i < writes.length) {
    const write = writes[i]!;
    if (write.kind === 'run') {
      await write.run(client);
      i += 1;
      continue;
    }
    const spec = write.spec;
    const perRow = spec.columns.length;
    const rows: unknown[][] = [];
    const keys = new Set<string>();
    while (i < writes.length && rows.length * perRow + perRow <= MAX_PARAMS) {
      const next = writes[i]!;
      if (next.kind !== 'insert' || next.spec !== spec) break;
      if (spec.keyed && next.key !== undefined) {
        if (keys.has(next.key)) break;
        keys.add(next.key);
      }
      rows.push(next.values);
      i += 1;
    }
    await insertRows(client, spec, rows);
  }
}

async function insertRows(client: PoolClient, spec: InsertSpec, rows: readonly unknown[][]): Promise<void> {
  const params: unknown[] = [];
  const tuples: string[] = [];
  for (const row of rows) {
    const base = params.length;
    tuples.push(`(${row.map((_, j) => `$${base + j + 1}`).join(', ')})`);
    for (const v of row) params.push(v);
  }
  const text = `INSERT INTO ${spec.table} (${spec.columns.join(', ')}) VALUES ${tuples.join(', ')} ${spec.conflict ?? ''}`;
  // A single-row insert is the common case and worth a prepared statement of its own.
  if (rows.length === 1) await client.query({ name: statementName(text), text, values: params });
  else await client.query(text, params);
}

const names = new Map<string, string>();
/**
 * A prepared statement's name, from its text: PostgreSQL cuts names at 63
 * bytes, and two statements cut to the same name would run each other's SQL.
 */
export function statementName(text: string): string {
  let name = names.get(text);
  if (name === undefined) {
    name = `s_${createHash('sha256').update(text).digest('hex').slice(0, 24)}`;
    names.set(text, name);
  }
  return name;
}
