/**
 * The reads of trust and economics on PostgreSQL (`store.trust`); the writes
 * are in trust-writes.ts.
 */
import { GENESIS_HASH } from '../../protocol/index.js';
import {
  accountFromRaw,
  entryFromRaw,
  operatorSampleFromRaw,
  operatorTotalsFromRaw,
  reputationFromRaw,
  taskAccountFromRaw,
  withdrawalFromRaw,
} from '../sqlite-trust.js';
import type {
  AccountRow,
  LedgerEntryRow,
  LedgerSnapshot,
  OperatorSampleRow,
  OperatorTotalsRow,
  ReputationRow,
  TaskAccountRow,
  WithdrawalRow,
} from '../rows.js';
import type { TrustStore } from '../trust-store.js';
import type { Query } from './pg-pool.js';

export class PostgresTrust implements TrustStore {
  constructor(private readonly query: Query) {}

  async getAccount(id: string): Promise<AccountRow | undefined> {
    const [row] = await this.query('SELECT * FROM accounts WHERE id = $1', [id]);
    return row ? accountFromRaw(row) : undefined;
  }

  async findAccountByKeyHash(keyHash: string): Promise<AccountRow | undefined> {
    const [row] = await this.query('SELECT * FROM accounts WHERE key_hash = $1', [keyHash]);
    return row ? accountFromRaw(row) : undefined;
  }

  async listAccounts(): Promise<AccountRow[]> {
    return (await this.query('SELECT * FROM accounts ORDER BY created_at, id')).map(accountFromRaw);
  }

  async loadLedger(): Promise<LedgerSnapshot> {
    const balances = new Map<string, number>();
    for (const row of await this.query('SELECT account, balance FROM ledger_balances'))
      balances.set(row.account as string, row.balance as number);
    const [last] = await this.query('SELECT seq, hash FROM ledger_entries ORDER BY seq DESC LIMIT 1');
    return {
      balances,
      head: last ? { seq: last.seq as number, hash: last.hash as string } : { seq: 0, hash: GENESIS_HASH },
    };
  }

  async listLedgerEntries(after: number, limit: number): Promise<LedgerEntryRow[]> {
    const rows = await this.query('SELECT * FROM ledger_entries WHERE seq > $1 ORDER BY seq LIMIT $2', [after, limit]);
    return rows.map(entryFromRaw);
  }

  async ledgerRefsOfTask(taskId: string): Promise<string[]> {
    const rows = await this.query('SELECT entry_id FROM ledger_task_refs WHERE task_id = $1', [taskId]);
    return rows.map((r) => r.entry_id as string);
  }

  async getTaskAccount(taskId: string): Promise<TaskAccountRow | undefined> {
    const [row] = await this.query('SELECT * FROM task_accounts WHERE task_id = $1', [taskId]);
    return row ? taskAccountFromRaw(row) : undefined;
  }

  async loadTaskAccountsOfOpenTasks(): Promise<TaskAccountRow[]> {
    const rows = await this.query(
      `SELECT ta.* FROM tasks t JOIN task_accounts ta ON ta.task_id = t.id WHERE t.status NOT IN ('verified', 'failed')`,
    );
    return rows.map(taskAccountFromRaw);
  }

  async listPendingWithdrawals(): Promise<WithdrawalRow[]> {
    const rows = await this.query('SELECT * FROM withdrawals WHERE paid_entry IS NULL ORDER BY available_at');
    return rows.map(withdrawalFromRaw);
  }

  async loadReputation(): Promise<ReputationRow[]> {
    return (await this.query('SELECT * FROM operator_reputation')).map(reputationFromRaw);
  }

  async loadOperatorTotals(): Promise<OperatorTotalsRow[]> {
    return (await this.query('SELECT * FROM operator_totals')).map(operatorTotalsFromRaw);
  }

  async listOperatorSamples(operatorId: string, since: number, limit: number): Promise<OperatorSampleRow[]> {
    const rows = await this.query(
      'SELECT * FROM operator_history WHERE operator_id = $1 AND ts >= $2 ORDER BY ts DESC LIMIT $3',
      [operatorId, since, limit],
    );
    return rows.map(operatorSampleFromRaw).reverse();
  }
}
