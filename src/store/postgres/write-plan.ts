/**
 * How a change set becomes SQL on PostgreSQL. Every round trip to the
 * database costs far more than the statement (on a loaded machine, two
 * process wake-ups), so a commit is sent as one pipeline: BEGIN, every
 * statement, COMMIT, written at once on a pipelined connection, and the
 * answers read together. Nothing in between waits for an answer, so a check
 * that once read a row count in JavaScript is made by the statement itself
 * (`touchingOne`, migration 007's `corten_expect_one`): when it fails the
 * transaction aborts, the statements behind it are refused, and the COMMIT at
 * the end rolls back. Consecutive inserts into one table travel as one
 * multi-row INSERT. Each area of the store (core, trust, …) turns its
 * changes into `Write`s in a file of its own.
 */
import { createHash } from 'node:crypto';
import type pg from 'pg';
import type { AssignmentFence } from '../rows.js';

/** A table's insert: columns, and for an upsert its conflict clause and the key a run must not repeat. */
export interface InsertSpec {
  readonly table: string;
  readonly columns: readonly string[];
  /** Appended after VALUES (ON CONFLICT …). */
  readonly conflict?: string;
  /** For upserts: one statement may not touch the same key twice, so a repeated key starts a new run. */
  readonly keyed?: boolean;
}

/** One statement of a commit; a stable text is prepared once a connection (named after its text). */
export interface Statement {
  readonly text: string;
  readonly values: readonly unknown[];
  /** False for texts that vary with their data (multi-row inserts): preparing each would only fill the cache. */
  readonly prepare?: boolean;
}

export type Write =
  | { kind: 'insert'; spec: InsertSpec; values: unknown[]; key?: string }
  | { kind: 'sql'; statements: readonly Statement[] };

/** What a statement that must touch one row says when it does not (carried in the raised error's HINT). */
export type Check =
  { kind: 'fence'; id: string; fence: AssignmentFence } | { kind: 'epoch' } | { kind: 'one'; message: string };

/** The SQLSTATE `corten_expect_one` raises. */
export const CHECK_FAILED = 'CT001';

/** PostgreSQL takes at most 65535 parameters a statement. */
const MAX_PARAMS = 60_000;

/**
 * `dml` (an UPDATE or DELETE without RETURNING) wrapped so that it fails the
 * transaction unless it touched exactly one row; `checkOf` reads the failure back.
 */
export function touchingOne(dml: string, values: readonly unknown[], check: Check): Statement {
  const n = values.length;
  const message = check.kind === 'one' ? check.message : `${check.kind} check failed`;
  return {
    text: `WITH touched AS (${dml} RETURNING 1)
      SELECT corten_expect_one((SELECT count(*) FROM touched), $${n + 1}, $${n + 2}, $${n + 3})`,
    values: [...values, check.kind, JSON.stringify(check), message],
  };
}

/** A write of the statements given (none for an update with nothing to do). */
export function sql(...statements: (Statement | undefined)[]): Write {
  return { kind: 'sql', statements: statements.filter((st) => st !== undefined) };
}

/** The check a failed commit stopped on, when it was one of ours. */
export function checkOf(error: unknown): Check | undefined {
  const e = error as { code?: string; hint?: string };
  if (e?.code !== CHECK_FAILED || typeof e.hint !== 'string') return undefined;
  return JSON.parse(e.hint) as Check;
}

/** The statements of `writes`, in order, each run of inserts into one table folded into multi-row inserts. */
export function planStatements(writes: readonly Write[]): Statement[] {
  const statements: Statement[] = [];
  let i = 0;
  while (i < writes.length) {
    const write = writes[i]!;
    if (write.kind === 'sql') {
      statements.push(...write.statements);
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
    statements.push(insertRows(spec, rows));
  }
  return statements;
}

function insertRows(spec: InsertSpec, rows: readonly unknown[][]): Statement {
  const values: unknown[] = [];
  const tuples: string[] = [];
  for (const row of rows) {
    const base = values.length;
    tuples.push(`(${row.map((_, j) => `$${base + j + 1}`).join(', ')})`);
    for (const v of row) values.push(v);
  }
  const text = `INSERT INTO ${spec.table} (${spec.columns.join(', ')}) VALUES ${tuples.join(', ')} ${spec.conflict ?? ''}`;
  // A single-row insert is the common case and worth a prepared statement of its own.
  return { text, values, prepare: rows.length === 1 };
}

/**
 * Writes every statement on `client` (created with `pipeline: true`) before
 * reading any answer, then waits for all of them. Throws the first failure in
 * order: those after it only say the transaction was aborted.
 */
export async function sendPipelined(
  client: pg.PoolClient,
  statements: readonly Statement[],
): Promise<pg.QueryResult[]> {
  const sent = statements.map((s) =>
    client.query({
      text: s.text,
      values: s.values as unknown[],
      ...(s.prepare === false ? {} : { name: statementName(s.text) }),
    }),
  );
  const settled = await Promise.allSettled(sent);
  const failed = settled.find((r) => r.status === 'rejected');
  if (failed) throw failed.reason;
  return settled.map((r) => (r as PromiseFulfilledResult<pg.QueryResult>).value);
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
