/**
 * The API's operations on trust and economics: accounts and deposits,
 * operator stake, the ledger, reputation, receipts. Money moves only inside
 * engine commands, so every movement commits with its event in a turn.
 */
import {
  CortenError,
  LedgerEntry,
  type AccountView,
  type BalancesView,
  type CreatedAccount,
  type KeyPair,
  type LedgerPage,
  type Receipt,
  type ReputationView,
  type StakeView,
} from '../../protocol/index.js';
import type { Store } from '../../store/index.js';
import { Accounts, buildReceipt, canRead, requireOwner, type Viewer } from '../economics/index.js';
import type { Engine } from '../engine/index.js';
import type { EuRegistry } from '../memory/index.js';
import { reputationView } from '../trust/index.js';

export interface TrustApiDeps {
  engine: Engine;
  store: Store;
  eus: EuRegistry;
  keys: KeyPair;
  coordinatorId: string;
  accounts: Accounts;
}

export class TrustApi {
  constructor(private readonly deps: TrustApiDeps) {}

  private get trust() {
    return this.deps.engine.trust;
  }

  async createAccount(name: string): Promise<CreatedAccount> {
    const { row, apiKey } = Accounts.create(name, Date.now());
    await this.deps.engine.command((turn) => turn.changes.push({ op: 'account.insert', row }));
    this.deps.accounts.remember(row);
    return { ...this.trust.accountView(row), apiKey };
  }

  async getAccount(id: string): Promise<AccountView> {
    const row = await this.deps.store.trust.getAccount(id);
    if (!row) throw new CortenError('ACCOUNT_NOT_FOUND', `no account ${id}`);
    return this.trust.accountView(row);
  }

  async deposit(accountId: string, amount: number): Promise<AccountView & { entryId: string }> {
    const row = await this.deps.store.trust.getAccount(accountId);
    if (!row)
      throw new CortenError('ACCOUNT_NOT_FOUND', `no account ${accountId}: create it first (POST /v1/accounts)`);
    const entryId = await this.deps.engine.command((turn) => this.trust.deposit(turn, accountId, amount));
    return { ...this.trust.accountView(row), entryId };
  }

  /** The stake book's view, with eligibility as the scheduler reads it (a suspended operator is not eligible). */
  private view(operatorId: string): StakeView {
    return { ...this.trust.stakes.view(operatorId), eligible: this.trust.eligible(operatorId) };
  }

  stakeView(operatorId: string): StakeView & { pendingWithdrawals: { amount: number; availableAt: number }[] } {
    return {
      ...this.view(operatorId),
      pendingWithdrawals: this.trust.stakes
        .pendingWithdrawals(operatorId)
        .map((w) => ({ amount: w.amount, availableAt: w.availableAt })),
    };
  }

  async stake(operatorId: string, amount: number): Promise<StakeView & { entryId: string }> {
    const entryId = await this.deps.engine.command((turn) => this.trust.stake(turn, operatorId, amount));
    return { ...this.view(operatorId), entryId };
  }

  async unstake(operatorId: string, amount: number): Promise<StakeView & { availableAt: number }> {
    const { availableAt } = await this.deps.engine.command((turn) => this.trust.unstake(turn, operatorId, amount));
    return { ...this.view(operatorId), availableAt };
  }

  async payEarnings(operatorId: string, amount: number): Promise<StakeView & { entryId: string }> {
    const entryId = await this.deps.engine.command((turn) => this.trust.payEarnings(turn, operatorId, amount));
    return { ...this.view(operatorId), entryId };
  }

  async reinstate(operatorId: string): Promise<void> {
    await this.deps.engine.command((turn) => this.trust.reinstate(turn, operatorId));
  }

  reputation(operatorId: string): ReputationView {
    if (!this.deps.engine.operators.has(operatorId))
      throw new CortenError('OPERATOR_NOT_FOUND', `no operator ${operatorId}`);
    return reputationView(this.trust, operatorId, this.deps.engine.now());
  }

  async ledgerEntries(after: number, limit: number): Promise<LedgerPage> {
    const rows = await this.deps.store.trust.listLedgerEntries(after, limit);
    const entries = rows.map((r) => LedgerEntry.parse({ ...r, postings: JSON.parse(r.postings) as unknown }));
    return { entries, next: entries.length > 0 ? entries[entries.length - 1]!.seq : after };
  }

  balances(): BalancesView {
    const ledger = this.trust.ledger;
    return { balances: Object.fromEntries(ledger.snapshot()), head: { seq: ledger.headSeq, hash: ledger.headHash } };
  }

  /** The receipt of a task `viewer` may read; another's task answers exactly as a missing one does. */
  async receipt(taskId: string, viewer: Viewer): Promise<Receipt> {
    const task = await this.deps.store.getTask(taskId);
    const readable = task !== undefined && canRead(requireOwner(viewer), task.owner);
    if (!readable) throw new CortenError('TASK_NOT_FOUND', `no task ${taskId}`);
    return buildReceipt(
      {
        store: this.deps.store,
        eus: this.deps.eus,
        coordinatorId: this.deps.coordinatorId,
        keys: this.deps.keys,
        embedderName: async () => (await this.trust.semantic.embedderNow()).name,
      },
      taskId,
    );
  }
}
