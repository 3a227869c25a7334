/**
 * Settlement: who pays, who is paid, who loses stake.
 *
 *   submission   price × quorum × tasks moves from the developer's balance to
 *                escrow (one entry per submission); a balance that cannot
 *                cover it refuses the submission before anything is written
 *   verdict      each agreeing operator earns the price, up to quorum of them
 *                (a task runs solo under adaptive replication: one is paid and
 *                the rest of the escrow comes back); the unused escrow is
 *                refunded; each dissenting result is slashed `slashDissent`,
 *                unless the verifier rejected it as undecided (semantic
 *                grey zone: unclear is not guilty)
 *   eu_error     a quorum agreed the EU fails on the input: they did the work
 *                right and are paid like a verdict
 *   eu_resource_exceeded
 *                the EU ran out of time or memory on several operators
 *                (eu-fault.ts): each execution it caused is paid the price,
 *                up to the escrow, the rest refunded; nobody is slashed
 *   unverifiable, attempts exhausted
 *                the whole escrow is refunded; nobody is slashed, because
 *                nobody can tell who was wrong
 *   lost lease   expired through the operator's fault (silent, overdue) is
 *                slashed `slashExpiry`; none for `coordinator_restart`, for
 *                leases lost in the reconnect window after a restart (the
 *                coordinator was down, not the operator), for `proactive`
 *                moves (a precaution of ours) or for released leases; a
 *                lease that overran while its operator kept heartbeating is
 *                slashed only if the task is then verified (eu-fault.ts)
 *
 * Slashes take from stake first, then from stake still unbonding, never
 * more than there is, and go to the treasury. Every movement of a turn is
 * gathered here and written as one `settlement` entry at the end of the
 * turn, with its events (`ledger.rewarded`, `ledger.refunded`,
 * `ledger.slashed`) naming that entry.
 */
import {
  CortenError,
  devAccount,
  earningsAccount,
  escrowAccount,
  stakeAccount,
  TREASURY_ACCOUNT,
  unbondingAccount,
  type EventMap,
  type Posting,
} from '../../protocol/index.js';
import type { ChangeSet } from '../../store/index.js';
import { transfer, type Ledger } from './ledger.js';
import { OperatorTotals } from './operator-totals.js';
import { EU_RESOURCE_EXCEEDED, paidResourceFaults } from '../verification/index.js';
import type { AssignmentState, EuState, TaskPayer, TaskState } from '../memory/index.js';

/** Who pays for a priced task. */
export interface SlashPolicy {
  /** Credits slashed for a dissenting (wrong) result. */
  slashDissent: number;
  /** Credits slashed for a lease that expired through the operator's fault. */
  slashExpiry: number;
}

type SettlementEvent =
  | { type: 'ledger.rewarded'; data: Omit<EventMap['ledger.rewarded'], 'entryId'>; taskId: string; operatorId: string }
  | { type: 'ledger.refunded'; data: Omit<EventMap['ledger.refunded'], 'entryId'>; taskId: string; operatorId: null }
  | { type: 'ledger.released'; data: Omit<EventMap['ledger.released'], 'entryId'>; taskId: null; operatorId: null }
  | {
      type: 'ledger.slashed';
      data: Omit<EventMap['ledger.slashed'], 'entryId'>;
      taskId: string | null;
      operatorId: string;
    };

export interface ClosedSettlement {
  entryId: string | null;
  /** Operators whose stake was slashed in this entry. */
  slashed: Set<string>;
}

export class Settlement {
  private postings: Posting[] = [];
  /** Balance changes of the open batch, so later movements in the turn see earlier ones. */
  private pending = new Map<string, number>();
  private events: SettlementEvent[] = [];
  private refs = new Set<string>();
  private slashed = new Set<string>();

  constructor(
    private readonly ledger: Ledger,
    private readonly policy: SlashPolicy,
    /** Where the turn's rewards and slashes are added up per operator (operator-totals.ts). */
    private readonly totals: OperatorTotals = new OperatorTotals(),
  ) {}

  private available(account: string): number {
    return this.ledger.balance(account) + (this.pending.get(account) ?? 0);
  }

  private move(
    from: string,
    to: string,
    amount: number,
    reason: string,
    tags: { taskId?: string; operatorId?: string },
  ): void {
    for (const p of transfer(from, to, amount, reason, tags)) {
      this.postings.push(p);
      this.pending.set(p.account, (this.pending.get(p.account) ?? 0) + p.amount);
    }
    if (tags.taskId) this.refs.add(tags.taskId);
  }

  /**
   * Escrows a submission's price; returns the payer each task carries, or
   * null for a free EU. Throws before writing when the submission has no
   * account or the balance cannot cover it.
   */
  escrow(changes: ChangeSet, now: number, eu: EuState, accountId: string | null, count: number): TaskPayer | null {
    const { price, verification } = eu.manifest;
    if (price === 0) return null;
    const ref = `${eu.manifest.name}@${eu.manifest.version}`;
    if (accountId === null) {
      throw new CortenError(
        'UNAUTHORIZED',
        `${ref} costs ${price} credits an execution: submit with an account's API key (Authorization: Bearer ck_…); without one only free EUs run`,
      );
    }
    const perTask = price * verification.quorum;
    const total = perTask * count;
    const balance = this.ledger.balance(devAccount(accountId));
    if (balance < total) {
      throw new CortenError(
        'INSUFFICIENT_BALANCE',
        `${count} tasks of ${ref} need ${total} credits in escrow (${price} a run × quorum ${verification.quorum} × ${count}); account ${accountId} holds ${balance}. Deposit more or submit fewer. Nothing was submitted.`,
        { details: { accountId, balance, required: total, price, quorum: verification.quorum, tasks: count } },
      );
    }
    return { accountId, escrow: perTask, escrowEntry: this.postEscrow(changes, now, accountId, total, count) };
  }

  /**
   * Reserves escrow for work not created yet (a job's steps): one entry moving
   * `amount` from the account's balance to its escrow. Throws
   * INSUFFICIENT_BALANCE before writing when the balance cannot cover it.
   */
  reserve(changes: ChangeSet, now: number, accountId: string, amount: number, tasks: number): string {
    const balance = this.ledger.balance(devAccount(accountId));
    if (balance < amount) {
      throw new CortenError(
        'INSUFFICIENT_BALANCE',
        `${amount} credits are needed in escrow; account ${accountId} holds ${balance}. Deposit more. Nothing was submitted.`,
        { details: { accountId, balance, required: amount } },
      );
    }
    return this.postEscrow(changes, now, accountId, amount, tasks);
  }

  /** One entry moving `amount` from the account's balance to its escrow, with its event; returns the entry id. */
  private postEscrow(changes: ChangeSet, now: number, accountId: string, amount: number, tasks: number): string {
    const posting = transfer(devAccount(accountId), escrowAccount(accountId), amount, 'escrow');
    const entry = this.ledger.post(changes, now, 'escrow', posting);
    changes.event('ledger.escrowed', now, {
      account: devAccount(accountId),
      amount,
      entryId: entry.id,
      taskIds: tasks,
    });
    return entry.id;
  }

  /** Gives back escrow a job reserved and never used, in the turn's settlement entry. */
  release(accountId: string, amount: number, jobId: string): void {
    if (amount <= 0) return;
    this.move(escrowAccount(accountId), devAccount(accountId), amount, 'release', {});
    this.events.push({
      type: 'ledger.released',
      data: { jobId, account: devAccount(accountId), amount },
      taskId: null,
      operatorId: null,
    });
  }

  /**
   * Settles a task that reached its terminal state: pays the agreeing
   * operators, refunds the rest, slashes the dissenters. Agreeing and
   * dissenting are read from the assignments the verdict marked.
   */
  settle(task: TaskState, status: 'verified' | 'failed', failure: string | null): void {
    const verdict = status === 'verified' || failure === 'eu_error';
    const payer = task.payer ?? null;
    if (payer) {
      // Paid in the order their results came in, up to what was escrowed.
      const byEnd = (x: AssignmentState, y: AssignmentState) => (x.finishedAt ?? 0) - (y.finishedAt ?? 0);
      const accepted =
        failure === EU_RESOURCE_EXCEEDED
          ? paidResourceFaults(task)
          : verdict
            ? task.assignments.filter((a) => a.status === 'accepted').sort(byEnd)
            : [];
      const price = task.eu.manifest.price;
      let left = payer.escrow;
      for (const a of accepted) {
        if (left < price) break;
        this.move(escrowAccount(payer.accountId), earningsAccount(a.operatorId), price, 'reward', {
          taskId: task.id,
          operatorId: a.operatorId,
        });
        this.events.push({
          type: 'ledger.rewarded',
          data: { taskId: task.id, operatorId: a.operatorId, amount: price },
          taskId: task.id,
          operatorId: a.operatorId,
        });
        left -= price;
      }
      if (left > 0) {
        this.move(escrowAccount(payer.accountId), devAccount(payer.accountId), left, 'refund', { taskId: task.id });
        this.events.push({
          type: 'ledger.refunded',
          data: { taskId: task.id, account: devAccount(payer.accountId), amount: left },
          taskId: task.id,
          operatorId: null,
        });
      }
    }
    if (verdict) {
      // Unclear is not guilty: a result the verifier could not decide against is rejected but never slashed.
      for (const a of task.assignments)
        if (a.status === 'rejected' && !a.undecided)
          this.slash(a.operatorId, this.policy.slashDissent, 'dissent', task.id);
    }
  }

  /** Slashes up to `amount` from an operator's stake (then from its unbonding stake) to the treasury. Returns what was
   * taken. */
  slash(operatorId: string, amount: number, reason: string, taskId: string | null): number {
    if (amount <= 0) return 0;
    const fromStake = Math.min(amount, Math.max(0, this.available(stakeAccount(operatorId))));
    const fromUnbonding = Math.min(amount - fromStake, Math.max(0, this.available(unbondingAccount(operatorId))));
    const tags = taskId ? { taskId, operatorId } : { operatorId };
    if (fromStake > 0) this.move(stakeAccount(operatorId), TREASURY_ACCOUNT, fromStake, `slash:${reason}`, tags);
    if (fromUnbonding > 0)
      this.move(unbondingAccount(operatorId), TREASURY_ACCOUNT, fromUnbonding, `slash:${reason}`, tags);
    const taken = fromStake + fromUnbonding;
    if (taken > 0) {
      const data: Omit<EventMap['ledger.slashed'], 'entryId'> = { operatorId, amount: taken, reason };
      if (taskId) data.taskId = taskId;
      this.events.push({ type: 'ledger.slashed', data, taskId, operatorId });
      this.slashed.add(operatorId);
    }
    return taken;
  }

  /** Slash for a lease lost through the operator's fault. */
  slashExpiry(operatorId: string, taskId: string, reason: string): void {
    this.slash(operatorId, this.policy.slashExpiry, reason, taskId);
  }

  /** Writes the turn's movements as one entry, with its events and task references. */
  close(changes: ChangeSet, now: number): ClosedSettlement {
    const slashed = this.slashed;
    if (this.postings.length === 0) {
      this.reset();
      return { entryId: null, slashed };
    }
    const entry = this.ledger.post(changes, now, 'settlement', this.postings);
    for (const e of this.events) {
      changes.event(e.type, now, { ...e.data, entryId: entry.id } as never, {
        taskId: e.taskId,
        operatorId: e.operatorId,
      });
      if (e.type === 'ledger.rewarded') this.totals.rewarded(e.operatorId, e.data.amount);
      else if (e.type === 'ledger.slashed') this.totals.slashed(e.operatorId, e.data.amount);
    }
    for (const taskId of this.refs) changes.push({ op: 'ledger.ref', taskId, entryId: entry.id });
    this.reset();
    return { entryId: entry.id, slashed };
  }

  private reset(): void {
    this.postings = [];
    this.pending = new Map();
    this.events = [];
    this.refs = new Set();
    this.slashed = new Set();
  }
}
