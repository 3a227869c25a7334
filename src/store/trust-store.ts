/**
 * The reads of trust and economics, behind the Store (`store.trust`). Writes
 * travel in the ChangeSet like every other write (see TrustChange).
 */
import type {
  AccountRow,
  LedgerEntryRow,
  LedgerSnapshot,
  OperatorSampleRow,
  OperatorTotalsRow,
  ReputationRow,
  TaskAccountRow,
  WithdrawalRow,
} from './rows.js';

export interface TrustStore {
  getAccount(id: string): Promise<AccountRow | undefined>;
  /** The account whose API key hashes to `keyHash`. */
  findAccountByKeyHash(keyHash: string): Promise<AccountRow | undefined>;
  listAccounts(): Promise<AccountRow[]>;
  /** Every balance and the chain's head, to rebuild the ledger's memory at start. */
  loadLedger(): Promise<LedgerSnapshot>;
  /** Entries with seq greater than `after`, in order. */
  listLedgerEntries(after: number, limit: number): Promise<LedgerEntryRow[]>;
  /** Settlement and slash entries that name a task. */
  ledgerRefsOfTask(taskId: string): Promise<string[]>;
  getTaskAccount(taskId: string): Promise<TaskAccountRow | undefined>;
  /** Payers of tasks not yet verified or failed, for recovery. */
  loadTaskAccountsOfOpenTasks(): Promise<TaskAccountRow[]>;
  listPendingWithdrawals(): Promise<WithdrawalRow[]>;
  loadReputation(): Promise<ReputationRow[]>;
  /** Every operator's running totals of rewards and slashes, to rebuild them at start. */
  loadOperatorTotals(): Promise<OperatorTotalsRow[]>;
  /**
   * The operator's latest `limit` samples taken at or after `since`, oldest first (through the
   * primary key (operator_id, ts): never a scan of other operators' rows).
   */
  listOperatorSamples(operatorId: string, since: number, limit: number): Promise<OperatorSampleRow[]>;
}
