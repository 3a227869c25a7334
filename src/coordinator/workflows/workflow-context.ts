/**
 * What the workflows part needs of the coordinator: the lifecycles' context (to
 * create and cancel ordinary tasks), the store's reads, and escrow held for a
 * job rather than for a task. The engine satisfies it.
 */
import type { Store } from '../../store/index.js';
import type { FlowContext, LifecycleHooks } from '../lifecycle/index.js';
import type { Turn } from '../memory/index.js';

export interface JobEscrowHooks {
  /**
   * Moves `amount` from the account's balance to its escrow in one entry; returns the
   * entry id. Throws INSUFFICIENT_BALANCE, writing nothing, when the balance is short.
   */
  reserve(turn: Turn, accountId: string, amount: number, tasks: number): string;
  /** Gives back escrow a job reserved and no task used, in the turn's settlement entry. */
  release(turn: Turn, accountId: string, amount: number, jobId: string): void;
  /** The account's spendable balance now. */
  balance(accountId: string): number;
}

export interface WorkflowContext extends FlowContext {
  readonly store: Pick<Store, 'workflows'>;
  readonly trust: LifecycleHooks & JobEscrowHooks;
}
