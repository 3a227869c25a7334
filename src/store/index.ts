export type { Store } from './store.js';
export { ChangeSet, type Change, type TrustChange, type WorkflowChange } from './change-set.js';
export type { TrustStore } from './trust-store.js';
export type * from './webhook-store.js';
export type { WorkflowStore } from './workflow-store.js';
export * from './rows.js';
export { OPERATOR_WALK_THRESHOLD, prefixEnd, taskWhere, type SearchPlan, type SqlWhere } from './task-search.js';
export { DataDirLock, type LockHolder } from './data-dir-lock.js';
export { SqliteStore, type SqliteStoreOptions } from './sqlite-store.js';
export { PostgresStore, type PostgresStoreOptions } from './postgres/postgres-store.js';
export type { EventListener } from './postgres/event-listener.js';
export type { LeaderLease, LeaseHolder } from './postgres/leader-lease.js';
export type { LeaseKeeper } from './postgres/lease-keeper.js';
export type { Inbox, InboxRow } from './postgres/inbox.js';
export type { LeaderView, LeaderViews } from './postgres/leader-views.js';
export { parseStoreUrl, isPostgresUrl } from './store-url.js';

import { SqliteStore } from './sqlite-store.js';
import { PostgresStore } from './postgres/postgres-store.js';
import type { Store } from './store.js';
import { parseStoreUrl } from './store-url.js';

export interface StoreConfig {
  /** Data folder of the embedded SQLite store. */
  dataDir: string;
  /** A postgres:// URL (its `schema` parameter names the schema, default `corten`); absent: SQLite in dataDir. */
  storeUrl?: string;
  /** PostgreSQL: see PostgresStoreOptions.idleInTransactionMs. */
  idleInTransactionMs?: number;
}

/** Opens the configured store and applies its migrations. */
export async function openStore(config: StoreConfig): Promise<Store> {
  const store = config.storeUrl
    ? new PostgresStore({ ...parseStoreUrl(config.storeUrl), idleInTransactionMs: config.idleInTransactionMs })
    : new SqliteStore({ dir: config.dataDir });
  await store.migrate();
  return store;
}
