/**
 * Connections to PostgreSQL: a pool whose sessions live in one schema (the
 * store's place: `search_path`), with BIGINT read back as a JavaScript number
 * (ms timestamps, seqs and credits all stay far below 2^53).
 */
import pg from 'pg';

export type Raw = Record<string, unknown>;
/** Runs one statement on a pooled connection and returns its rows. */
export type Query = (text: string, values?: readonly unknown[]) => Promise<Raw[]>;

const INT8_OID = 20;

const types = {
  getTypeParser(oid: number, format?: 'text' | 'binary') {
    if (oid === INT8_OID && format !== 'binary') return (value: string) => Number(value);
    return pg.types.getTypeParser(oid, format);
  },
} as pg.CustomTypesConfig;

export interface PoolOptions {
  /** postgres://user@host:port/database */
  url: string;
  /** The schema every session works in; created by migrate(). */
  schema: string;
  readonly?: boolean;
  /** Connections kept at most; the leader's commits take one at a time. */
  max?: number;
  /** Longest a statement may run (0: no limit). */
  statementTimeoutMs?: number;
  /**
   * Longest a session may sit idle inside a transaction before the database
   * ends it. A leader paused mid-commit (SIGSTOP) would otherwise hold the
   * lease row's lock, and its successor's claim would wait for ever.
   */
  idleInTransactionMs?: number;
  /**
   * Send each query at once rather than after the previous answer (pg's
   * pipeline mode): a commit's statements then share one round trip.
   */
  pipeline?: boolean;
}

/** A schema name is an identifier we quote ourselves: letters, digits and underscores only. */
export function checkSchemaName(schema: string): string {
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(schema)) {
    throw new Error(`schema name ${JSON.stringify(schema)}: use lower-case letters, digits and _ (at most 63)`);
  }
  return schema;
}

/** The session settings of `options`, as the connection's `options` parameter. */
export function sessionOptions(options: PoolOptions): string {
  const schema = checkSchemaName(options.schema);
  const settings = [`-c search_path=${schema}`];
  if (options.readonly) settings.push('-c default_transaction_read_only=on');
  if (options.statementTimeoutMs) settings.push(`-c statement_timeout=${Math.ceil(options.statementTimeoutMs)}`);
  if (options.idleInTransactionMs) {
    settings.push(`-c idle_in_transaction_session_timeout=${Math.ceil(options.idleInTransactionMs)}`);
  }
  return settings.join(' ');
}

export function createPool(options: PoolOptions): pg.Pool {
  const pool = new pg.Pool({
    connectionString: options.url,
    options: sessionOptions(options),
    types,
    max: options.max ?? 8,
    pipeline: options.pipeline === true,
    // A database that does not answer must not hang a commit for ever: the leader's lease is shorter.
    connectionTimeoutMillis: 5_000,
    idleTimeoutMillis: 30_000,
  });
  // An idle connection that dies (the database restarted) is dropped by the pool; nothing waits on it.
  pool.on('error', () => undefined);
  return pool;
}
