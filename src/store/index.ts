export type { Store } from './store.js';
export { ChangeSet, type Change, type TrustChange, type WorkflowChange } from './change-set.js';
export type { TrustStore } from './trust-store.js';
export type * from './webhook-store.js';
export type { WorkflowStore } from './workflow-store.js';
export * from './rows.js';
export { OPERATOR_WALK_THRESHOLD, prefixEnd, taskWhere, type SearchPlan, type SqlWhere } from './task-search.js';
export { DataDirLock, type LockHolder } from './data-dir-lock.js';
export { SqliteStore, type SqliteStoreOptions } from './sqlite-store.js';

import { SqliteStore } from './sqlite-store.js';
import type { Store } from './store.js';

export interface StoreConfig {
  /** Data folder of the embedded SQLite store. */
  dataDir: string;
}

/** Opens the configured store and applies its migrations. */
export async function openStore(config: StoreConfig): Promise<Store> {
  const store = new SqliteStore({ dir: config.dataDir });
  await store.migrate();
  return store;
}
