/**
 * What the trust side needs of the coordinator: everything a lifecycle needs (it moves
 * leases and suspends operators through the lifecycles), plus the clock, the stored task
 * inputs (for semantic fact checks) and a way to run its periodic tick as a command.
 */
import type { Store } from '../../store/index.js';
import type { FlowContext } from '../lifecycle/index.js';
import type { Turn } from '../memory/index.js';

export interface TrustContext extends FlowContext {
  readonly now: () => number;
  readonly store: Pick<Store, 'getTaskInputs'>;
  /** Runs `fn` inside a turn; resolves once the turn is committed. */
  command<T>(fn: (turn: Turn) => T | Promise<T>): Promise<T>;
}
