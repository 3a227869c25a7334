/**
 * Economics as a part of its own: the ledger, settlement and stake, reacting to the
 * turn's domain facts (memory/domain-facts.ts) where they happen.
 *
 *   submission       escrow the price, or refuse before anything is written
 *   verdict reached  settle the task at once: rewards, refund, dissent slashes, and the
 *                    slashes of overruns the verdict proved were the operators' fault
 *   lease lost       slash an expiry that was the operator's fault
 *   end of turn      the turn's movements become one `settlement` entry with its events,
 *                    then the balances and operators' totals it changed are written
 *                    (settlement.ts, ledger.ts, operator-totals.ts)
 *   tick             pay out stake whose unbonding period is over
 *
 * Everything it writes goes into the turn's change set, so a verdict's settlement is
 * committed in the verdict's own transaction.
 */
import { devAccount, escrowAccount, EXTERNAL_ACCOUNT, type AccountView } from '../../protocol/index.js';
import type { Store } from '../../store/index.js';
import type {
  DomainFactListener,
  EuState,
  LeaseLost,
  TaskPayer,
  TaskState,
  Turn,
  VerdictReached,
} from '../memory/index.js';
import { Ledger, transfer } from './ledger.js';
import { OperatorTotals } from './operator-totals.js';
import { Settlement, type ClosedSettlement } from './settlement.js';
import { StakeBook } from './stake-book.js';

export interface EconomicsPolicy {
  /** Credits slashed for a dissenting (wrong) result. */
  slashDissent: number;
  /** Credits slashed for a lease lost through the operator's fault. */
  slashExpiry: number;
  /** Stake an operator needs to get work. */
  minStake: number;
  /** How long withdrawn stake stays slashable before it is paid out. */
  unbondingMs: number;
}

export class Economics implements DomainFactListener {
  readonly ledger = new Ledger();
  /** What each operator was ever rewarded and slashed. */
  readonly totals = new OperatorTotals();
  readonly settlement: Settlement;
  readonly stakes: StakeBook;

  constructor(policy: EconomicsPolicy) {
    const { slashDissent, slashExpiry } = policy;
    this.settlement = new Settlement(this.ledger, { slashDissent, slashExpiry }, this.totals);
    this.stakes = new StakeBook(this.ledger, policy.minStake, policy.unbondingMs);
  }

  /** Rebuilds balances and pending withdrawals from the store (at start). */
  async load(store: Store): Promise<void> {
    this.ledger.load(await store.trust.loadLedger());
    this.totals.load(await store.trust.loadOperatorTotals());
    this.stakes.load(await store.trust.listPendingWithdrawals());
  }

  escrow(turn: Turn, eu: EuState, accountId: string | null, count: number): TaskPayer | null {
    return this.settlement.escrow(turn.changes, turn.now, eu, accountId, count);
  }

  taskCreated(turn: Turn, task: TaskState, payer: TaskPayer | null): void {
    task.payer = payer;
    if (payer) turn.changes.push({ op: 'task.account', row: { taskId: task.id, ...payer } });
  }

  verdictReached(_turn: Turn, { task, status, failure }: VerdictReached): void {
    this.settlement.settle(task, status, failure);
    // Overruns of a verified task were the operators' fault: others ran the EU within its limits.
    // Otherwise nobody's (eu-fault.ts).
    if (status !== 'verified') return;
    for (const a of task.assignments) {
      if (a.status === 'expired' && a.overran) this.settlement.slashExpiry(a.operatorId, task.id, 'lease_deadline');
    }
  }

  leaseLost(_turn: Turn, { task, assignment: a, status, reason, blamed }: LeaseLost): void {
    // A release may be an honest give-back and a proactive move is our precaution: neither is slashed.
    // An overrun's slash waits for the verdict, once it is known whether the EU can run within its limits.
    if (status === 'expired' && blamed && reason !== 'proactive' && !a.overran) {
      this.settlement.slashExpiry(a.operatorId, task.id, reason);
    }
  }

  /** Writes the turn's movements as one settlement entry; says whose stake was slashed. */
  closeTurn(turn: Turn): ClosedSettlement {
    return this.settlement.close(turn.changes, turn.now);
  }

  /** Writes the balances and totals the turn changed; last, after every movement of the turn. */
  flush(turn: Turn): void {
    this.ledger.flush(turn.changes, turn.now);
    this.totals.flush(turn.changes, turn.now);
  }

  tick(turn: Turn): void {
    this.stakes.payDue(turn.changes, turn.now);
  }

  deposit(turn: Turn, accountId: string, amount: number): string {
    const posting = transfer(EXTERNAL_ACCOUNT, devAccount(accountId), amount, 'deposit');
    const entry = this.ledger.post(turn.changes, turn.now, 'deposit', posting);
    turn.event('ledger.deposited', { account: devAccount(accountId), amount, entryId: entry.id });
    return entry.id;
  }

  payEarnings(turn: Turn, operatorId: string, amount: number): string {
    return this.stakes.payEarnings(turn.changes, turn.now, operatorId, amount);
  }

  accountView(row: { id: string; name: string; createdAt: number }): AccountView {
    return {
      id: row.id,
      name: row.name,
      balance: this.ledger.balance(devAccount(row.id)),
      escrow: this.ledger.balance(escrowAccount(row.id)),
      createdAt: row.createdAt,
    };
  }
}
