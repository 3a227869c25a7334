/**
 * The SQL of trust and economics for the SQLite backend: accounts, ledger
 * entries and balances, task payers, withdrawals, reputation. SqliteStore
 * delegates these writes and reads here, so the core store stays about
 * tasks and leases.
 */
import type Database from 'better-sqlite3';
import { GENESIS_HASH } from '../protocol/index.js';
import type { TrustChange } from './change-set.js';
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
import type { TrustStore } from './trust-store.js';

type Raw = Record<string, unknown>;
type Statement = Database.Statement<unknown[], Raw>;

export const accountFromRaw = (r: Raw): AccountRow => ({
  id: r.id as string,
  name: r.name as string,
  keyHash: r.key_hash as string,
  createdAt: r.created_at as number,
});

export const entryFromRaw = (r: Raw): LedgerEntryRow => ({
  seq: r.seq as number,
  id: r.id as string,
  ts: r.ts as number,
  kind: r.kind as string,
  postings: r.postings as string,
  prevHash: r.prev_hash as string,
  hash: r.hash as string,
});

export const withdrawalFromRaw = (r: Raw): WithdrawalRow => ({
  id: r.id as string,
  operatorId: r.operator_id as string,
  amount: r.amount as number,
  requestedAt: r.requested_at as number,
  availableAt: r.available_at as number,
  requestEntry: r.request_entry as string,
  paidEntry: (r.paid_entry as string | null) ?? null,
  paidAmount: (r.paid_amount as number | null) ?? null,
});

export const taskAccountFromRaw = (r: Raw): TaskAccountRow => ({
  taskId: r.task_id as string,
  accountId: r.account_id as string,
  escrow: r.escrow as number,
  escrowEntry: r.escrow_entry as string,
});

export const reputationFromRaw = (r: Raw): ReputationRow => ({
  operatorId: r.operator_id as string,
  streak: r.streak as number,
  figures: r.figures as string,
  updatedAt: r.updated_at as number,
});

export const operatorTotalsFromRaw = (r: Raw): OperatorTotalsRow => ({
  operatorId: r.operator_id as string,
  earned: r.earned as number,
  slashed: r.slashed as number,
  slashes: r.slashes as number,
  updatedAt: r.updated_at as number,
});

export const operatorSampleFromRaw = (r: Raw): OperatorSampleRow => ({
  operatorId: r.operator_id as string,
  ts: r.ts as number,
  score: r.score as number,
  uptime: r.uptime as number,
  agreement: r.agreement as number,
  leaseCompletion: r.lease_completion as number,
  stake: r.stake as number,
  status: r.status as string,
});

/** The trust SQL; `apply` runs inside the store's commit transaction, reads answer synchronously. */
export class SqliteTrust implements TrustStore {
  constructor(private readonly stmt: (sql: string) => Statement) {}

  apply(change: TrustChange): void {
    switch (change.op) {
      case 'account.insert':
        this.stmt(
          'INSERT INTO accounts (id, name, key_hash, created_at) VALUES (@id, @name, @keyHash, @createdAt)',
        ).run(change.row);
        return;
      case 'ledger.insert':
        this.stmt(
          'INSERT INTO ledger_entries (seq, id, ts, kind, postings, prev_hash, hash) VALUES (@seq, @id, @ts, @kind, @postings, @prevHash, @hash)',
        ).run(change.row);
        return;
      case 'ledger.balance':
        this.stmt(
          'INSERT INTO ledger_balances (account, balance, updated_at) VALUES (?, ?, ?) ON CONFLICT (account) DO UPDATE SET balance = excluded.balance, updated_at = excluded.updated_at',
        ).run(change.account, change.balance, change.updatedAt);
        return;
      case 'ledger.ref':
        this.stmt('INSERT OR IGNORE INTO ledger_task_refs (task_id, entry_id) VALUES (?, ?)').run(
          change.taskId,
          change.entryId,
        );
        return;
      case 'task.account':
        this.stmt(
          'INSERT INTO task_accounts (task_id, account_id, escrow, escrow_entry) VALUES (@taskId, @accountId, @escrow, @escrowEntry)',
        ).run(change.row);
        return;
      case 'withdrawal.insert':
        this.stmt(
          `INSERT INTO withdrawals (id, operator_id, amount, requested_at, available_at, request_entry, paid_entry, paid_amount)
           VALUES (@id, @operatorId, @amount, @requestedAt, @availableAt, @requestEntry, @paidEntry, @paidAmount)`,
        ).run(change.row);
        return;
      case 'withdrawal.paid': {
        const info = this.stmt(
          'UPDATE withdrawals SET paid_entry = ?, paid_amount = ? WHERE id = ? AND paid_entry IS NULL',
        ).run(change.paidEntry, change.paidAmount, change.id);
        if (info.changes !== 1) throw new Error(`withdrawal ${change.id} is not pending`);
        return;
      }
      case 'reputation.upsert':
        this.stmt(
          `INSERT INTO operator_reputation (operator_id, streak, figures, updated_at) VALUES (@operatorId, @streak, @figures, @updatedAt)
           ON CONFLICT (operator_id) DO UPDATE SET streak = excluded.streak, figures = excluded.figures, updated_at = excluded.updated_at`,
        ).run(change.row);
        return;
      case 'operator_totals.upsert':
        this.stmt(
          `INSERT INTO operator_totals (operator_id, earned, slashed, slashes, updated_at)
           VALUES (@operatorId, @earned, @slashed, @slashes, @updatedAt)
           ON CONFLICT (operator_id) DO UPDATE SET earned = excluded.earned, slashed = excluded.slashed,
             slashes = excluded.slashes, updated_at = excluded.updated_at`,
        ).run(change.row);
        return;
      case 'operator_sample.insert':
        this.stmt(
          `INSERT INTO operator_history (operator_id, ts, score, uptime, agreement, lease_completion, stake, status)
           VALUES (@operatorId, @ts, @score, @uptime, @agreement, @leaseCompletion, @stake, @status)`,
        ).run(change.row);
        return;
      case 'operator_sample.prune':
        this.stmt('DELETE FROM operator_history WHERE ts < ?').run(change.before);
        return;
    }
  }

  async getAccount(id: string): Promise<AccountRow | undefined> {
    const row = this.stmt('SELECT * FROM accounts WHERE id = ?').get(id);
    return row ? accountFromRaw(row) : undefined;
  }

  async findAccountByKeyHash(keyHash: string): Promise<AccountRow | undefined> {
    const row = this.stmt('SELECT * FROM accounts WHERE key_hash = ?').get(keyHash);
    return row ? accountFromRaw(row) : undefined;
  }

  async listAccounts(): Promise<AccountRow[]> {
    return this.stmt('SELECT * FROM accounts ORDER BY created_at, id').all().map(accountFromRaw);
  }

  async loadLedger(): Promise<LedgerSnapshot> {
    const balances = new Map<string, number>();
    for (const row of this.stmt('SELECT account, balance FROM ledger_balances').all())
      balances.set(row.account as string, row.balance as number);
    const last = this.stmt('SELECT seq, hash FROM ledger_entries ORDER BY seq DESC LIMIT 1').get();
    return {
      balances,
      head: last ? { seq: last.seq as number, hash: last.hash as string } : { seq: 0, hash: GENESIS_HASH },
    };
  }

  async listLedgerEntries(after: number, limit: number): Promise<LedgerEntryRow[]> {
    return this.stmt('SELECT * FROM ledger_entries WHERE seq > ? ORDER BY seq LIMIT ?')
      .all(after, limit)
      .map(entryFromRaw);
  }

  async ledgerRefsOfTask(taskId: string): Promise<string[]> {
    return this.stmt('SELECT entry_id FROM ledger_task_refs WHERE task_id = ?')
      .all(taskId)
      .map((r) => r.entry_id as string);
  }

  async getTaskAccount(taskId: string): Promise<TaskAccountRow | undefined> {
    const row = this.stmt('SELECT * FROM task_accounts WHERE task_id = ?').get(taskId);
    return row ? taskAccountFromRaw(row) : undefined;
  }

  async loadTaskAccountsOfOpenTasks(): Promise<TaskAccountRow[]> {
    return this.stmt(
      `SELECT ta.* FROM tasks t JOIN task_accounts ta ON ta.task_id = t.id WHERE t.status NOT IN ('verified', 'failed')`,
    )
      .all()
      .map(taskAccountFromRaw);
  }

  async listPendingWithdrawals(): Promise<WithdrawalRow[]> {
    return this.stmt('SELECT * FROM withdrawals WHERE paid_entry IS NULL ORDER BY available_at')
      .all()
      .map(withdrawalFromRaw);
  }

  async loadReputation(): Promise<ReputationRow[]> {
    return this.stmt('SELECT * FROM operator_reputation').all().map(reputationFromRaw);
  }

  async loadOperatorTotals(): Promise<OperatorTotalsRow[]> {
    return this.stmt('SELECT * FROM operator_totals').all().map(operatorTotalsFromRaw);
  }

  async listOperatorSamples(operatorId: string, since: number, limit: number): Promise<OperatorSampleRow[]> {
    // Newest first, so LIMIT keeps the latest; then oldest first for the reader.
    return this.stmt('SELECT * FROM operator_history WHERE operator_id = ? AND ts >= ? ORDER BY ts DESC LIMIT ?')
      .all(operatorId, since, limit)
      .map(operatorSampleFromRaw)
      .reverse();
  }
}
