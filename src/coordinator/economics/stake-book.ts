/**
 * Operator stake: bonded credits an operator puts at risk to receive work.
 *
 *   deposit ──▶ stake ──withdraw request──▶ unbonding ──unbondingMs later──▶ paid out
 *                 │                            │
 *                 └───── slashes take from ────┘ (stake first)
 *
 * An operator with less than `minStake` bonded gets no work. Withdrawing
 * does not free stake at once: it waits out the unbonding period in its
 * own account, where a slash for misbehaviour found meanwhile (a dissent on
 * work it did just before) can still reach it. The payout is what is left
 * of the request then. Rewards go to a separate earnings account that is
 * never slashed.
 */
import {
  CortenError,
  EXTERNAL_ACCOUNT,
  earningsAccount,
  stakeAccount,
  unbondingAccount,
  type StakeView,
} from '../../protocol/index.js';
import type { ChangeSet, WithdrawalRow } from '../../store/index.js';
import { newId } from '../memory/index.js';
import { transfer, type Ledger } from './ledger.js';

export class StakeBook {
  private pending: WithdrawalRow[] = [];

  constructor(
    private readonly ledger: Ledger,
    readonly minStake: number,
    readonly unbondingMs: number,
  ) {}

  load(pending: WithdrawalRow[]): void {
    this.pending = [...pending].sort((a, b) => a.availableAt - b.availableAt);
  }

  stakeOf(operatorId: string): number {
    return this.ledger.balance(stakeAccount(operatorId));
  }

  /** True when the operator's bonded stake meets the minimum for work. */
  eligible(operatorId: string): boolean {
    return this.minStake === 0 || this.stakeOf(operatorId) >= this.minStake;
  }

  /** Stake as a weight for the scheduler's score, 0..1: more stake at risk, more weight, with diminishing returns. */
  weight(operatorId: string): number {
    const stake = this.stakeOf(operatorId);
    const scale = Math.max(this.minStake, 100) * 4;
    return stake / (stake + scale);
  }

  view(operatorId: string): StakeView {
    return {
      operatorId,
      stake: this.stakeOf(operatorId),
      unbonding: this.ledger.balance(unbondingAccount(operatorId)),
      earnings: this.ledger.balance(earningsAccount(operatorId)),
      minStake: this.minStake,
      eligible: this.eligible(operatorId),
    };
  }

  /** Bonds credits from outside as the operator's stake. */
  deposit(changes: ChangeSet, now: number, operatorId: string, amount: number): string {
    const entry = this.ledger.post(
      changes,
      now,
      'deposit',
      transfer(EXTERNAL_ACCOUNT, stakeAccount(operatorId), amount, 'deposit', { operatorId }),
    );
    changes.event(
      'ledger.deposited',
      now,
      { account: stakeAccount(operatorId), amount, entryId: entry.id },
      { operatorId },
    );
    return entry.id;
  }

  /** Starts unbonding `amount` of stake; it is paid out after the unbonding period. Throws (changing nothing) beyond
   * the stake. */
  requestWithdrawal(changes: ChangeSet, now: number, operatorId: string, amount: number): WithdrawalRow {
    const stake = this.stakeOf(operatorId);
    if (amount > stake) {
      throw new CortenError(
        'INSUFFICIENT_STAKE',
        `operator ${operatorId} has ${stake} credits staked; it cannot withdraw ${amount}`,
        {
          details: { operatorId, stake, requested: amount },
        },
      );
    }
    const entry = this.ledger.post(
      changes,
      now,
      'unbond',
      transfer(stakeAccount(operatorId), unbondingAccount(operatorId), amount, 'unbond', { operatorId }),
    );
    const row: WithdrawalRow = {
      id: newId('wd', now),
      operatorId,
      amount,
      requestedAt: now,
      availableAt: now + this.unbondingMs,
      requestEntry: entry.id,
      paidEntry: null,
      paidAmount: null,
    };
    changes.push({ op: 'withdrawal.insert', row });
    changes.event(
      'ledger.withdrawal_requested',
      now,
      { operatorId, amount, availableAt: row.availableAt },
      { operatorId },
    );
    this.pending.push(row);
    this.pending.sort((a, b) => a.availableAt - b.availableAt);
    return row;
  }

  /** Pays out the withdrawals whose unbonding period has ended (less whatever was slashed meanwhile). */
  payDue(changes: ChangeSet, now: number): void {
    while (this.pending.length > 0 && this.pending[0]!.availableAt <= now) {
      const w = this.pending.shift()!;
      const left = this.ledger.balance(unbondingAccount(w.operatorId));
      const pay = Math.min(w.amount, left);
      let entryId = w.requestEntry;
      if (pay > 0) {
        entryId = this.ledger.post(
          changes,
          now,
          'withdrawal',
          transfer(unbondingAccount(w.operatorId), EXTERNAL_ACCOUNT, pay, 'withdrawal', { operatorId: w.operatorId }),
        ).id;
        changes.event(
          'ledger.withdrawn',
          now,
          { operatorId: w.operatorId, amount: pay, entryId, source: 'unbonding' },
          { operatorId: w.operatorId },
        );
      }
      changes.push({ op: 'withdrawal.paid', id: w.id, paidEntry: entryId, paidAmount: pay });
    }
  }

  /** Pays an operator's earnings out at once (earnings are not at risk, so they need no unbonding). */
  payEarnings(changes: ChangeSet, now: number, operatorId: string, amount: number): string {
    const have = this.ledger.balance(earningsAccount(operatorId));
    if (amount > have)
      throw new CortenError(
        'INSUFFICIENT_BALANCE',
        `operator ${operatorId} has earned ${have} credits; it cannot withdraw ${amount}`,
      );
    const entry = this.ledger.post(
      changes,
      now,
      'withdrawal',
      transfer(earningsAccount(operatorId), EXTERNAL_ACCOUNT, amount, 'withdrawal', { operatorId }),
    );
    changes.event(
      'ledger.withdrawn',
      now,
      { operatorId, amount, entryId: entry.id, source: 'earnings' },
      { operatorId },
    );
    return entry.id;
  }

  pendingWithdrawals(operatorId?: string): WithdrawalRow[] {
    return operatorId ? this.pending.filter((w) => w.operatorId === operatorId) : [...this.pending];
  }
}
