/**
 * The trust area's writes on PostgreSQL: accounts, ledger entries and
 * balances, task payers, withdrawals, reputation.
 */
import type { Change } from '../change-set.js';
import { sql, touchingOne, type InsertSpec, type Write } from './write-plan.js';

const ACCOUNT: InsertSpec = { table: 'accounts', columns: ['id', 'name', 'key_hash', 'created_at'] };
const LEDGER: InsertSpec = {
  table: 'ledger_entries',
  columns: ['seq', 'id', 'ts', 'kind', 'postings', 'prev_hash', 'hash'],
};
const BALANCE: InsertSpec = {
  table: 'ledger_balances',
  columns: ['account', 'balance', 'updated_at'],
  conflict: 'ON CONFLICT (account) DO UPDATE SET balance = excluded.balance, updated_at = excluded.updated_at',
  keyed: true,
};
const REF: InsertSpec = {
  table: 'ledger_task_refs',
  columns: ['task_id', 'entry_id'],
  conflict: 'ON CONFLICT DO NOTHING',
};
const TASK_ACCOUNT: InsertSpec = {
  table: 'task_accounts',
  columns: ['task_id', 'account_id', 'escrow', 'escrow_entry'],
};
const WITHDRAWAL: InsertSpec = {
  table: 'withdrawals',
  columns: [
    'id',
    'operator_id',
    'amount',
    'requested_at',
    'available_at',
    'request_entry',
    'paid_entry',
    'paid_amount',
  ],
};
const REPUTATION: InsertSpec = {
  table: 'operator_reputation',
  columns: ['operator_id', 'streak', 'figures', 'updated_at'],
  conflict: `ON CONFLICT (operator_id) DO UPDATE SET streak = excluded.streak, figures = excluded.figures,
    updated_at = excluded.updated_at`,
  keyed: true,
};

const TOTALS: InsertSpec = {
  table: 'operator_totals',
  columns: ['operator_id', 'earned', 'slashed', 'slashes', 'updated_at'],
  conflict: `ON CONFLICT (operator_id) DO UPDATE SET earned = excluded.earned, slashed = excluded.slashed,
    slashes = excluded.slashes, updated_at = excluded.updated_at`,
  keyed: true,
};
const SAMPLE: InsertSpec = {
  table: 'operator_history',
  columns: ['operator_id', 'ts', 'score', 'uptime', 'agreement', 'lease_completion', 'stake', 'status'],
};

/** The write of a trust change, or undefined when the change belongs to another area. */
export function trustWrite(change: Change): Write | undefined {
  switch (change.op) {
    case 'account.insert': {
      const r = change.row;
      return { kind: 'insert', spec: ACCOUNT, values: [r.id, r.name, r.keyHash, r.createdAt] };
    }
    case 'ledger.insert': {
      const r = change.row;
      return { kind: 'insert', spec: LEDGER, values: [r.seq, r.id, r.ts, r.kind, r.postings, r.prevHash, r.hash] };
    }
    case 'ledger.balance':
      return {
        kind: 'insert',
        spec: BALANCE,
        values: [change.account, change.balance, change.updatedAt],
        key: change.account,
      };
    case 'ledger.ref':
      return { kind: 'insert', spec: REF, values: [change.taskId, change.entryId] };
    case 'task.account': {
      const r = change.row;
      return { kind: 'insert', spec: TASK_ACCOUNT, values: [r.taskId, r.accountId, r.escrow, r.escrowEntry] };
    }
    case 'withdrawal.insert': {
      const r = change.row;
      const values = [
        r.id,
        r.operatorId,
        r.amount,
        r.requestedAt,
        r.availableAt,
        r.requestEntry,
        r.paidEntry,
        r.paidAmount,
      ];
      return { kind: 'insert', spec: WITHDRAWAL, values };
    }
    case 'withdrawal.paid':
      return sql(
        touchingOne(
          'UPDATE withdrawals SET paid_entry = $1, paid_amount = $2 WHERE id = $3 AND paid_entry IS NULL',
          [change.paidEntry, change.paidAmount, change.id],
          { kind: 'one', message: `withdrawal ${change.id} is not pending` },
        ),
      );
    case 'reputation.upsert': {
      const r = change.row;
      return {
        kind: 'insert',
        spec: REPUTATION,
        values: [r.operatorId, r.streak, r.figures, r.updatedAt],
        key: r.operatorId,
      };
    }
    case 'operator_totals.upsert': {
      const r = change.row;
      return {
        kind: 'insert',
        spec: TOTALS,
        values: [r.operatorId, r.earned, r.slashed, r.slashes, r.updatedAt],
        key: r.operatorId,
      };
    }
    case 'operator_sample.insert': {
      const r = change.row;
      const values = [r.operatorId, r.ts, r.score, r.uptime, r.agreement, r.leaseCompletion, r.stake, r.status];
      return { kind: 'insert', spec: SAMPLE, values };
    }
    case 'operator_sample.prune':
      return sql({ text: 'DELETE FROM operator_history WHERE ts < $1', values: [change.before] });
    default:
      return undefined;
  }
}
