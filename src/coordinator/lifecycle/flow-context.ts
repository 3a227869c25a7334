/**
 * What the task and operator lifecycles need of the coordinator, and nothing more: the
 * settings, working memory, the EU registry, the scheduler's queue, the region watch and
 * the trust side's hooks. The engine satisfies it; the flows never see the engine itself,
 * so the engine may import them without the flows importing it back.
 */
import type { CoordinatorConfig } from '../config/index.js';
import type {
  AssignmentState,
  EuRegistry,
  EuState,
  OperatorState,
  TaskPayer,
  TaskState,
  Turn,
} from '../memory/index.js';
import type { Scheduler } from '../scheduling/index.js';
import type { VerdictContext, VerdictHooks } from '../verification/index.js';
import type { RegionWatch } from './region-watch.js';

/** The trust side (escrow, standing, reputation), as the lifecycles call it. */
export interface LifecycleHooks extends VerdictHooks {
  /** Escrows `count` tasks' price; null for a free EU; throws, writing nothing, when the account cannot pay. */
  escrow(turn: Turn, eu: EuState, accountId: string | null, count: number): TaskPayer | null;
  taskCreated(turn: Turn, task: TaskState, payer: TaskPayer | null): void;
  firstLease(task: TaskState, op: OperatorState): void;
  leaseLost(turn: Turn, task: TaskState, a: AssignmentState, status: 'expired' | 'released', reason: string): void;
  /** Sets the leases `op` may hold now (slow start, releases, degradation). */
  refreshSlots(op: OperatorState, now: number): void;
}

export interface NewInput {
  /** The input as JSON text. */
  text: string;
  /** sha256 of its canonical form. */
  hash: string;
}

export interface FlowContext extends VerdictContext {
  readonly config: CoordinatorConfig;
  readonly eus: EuRegistry;
  readonly operators: Map<string, OperatorState>;
  readonly scheduler: Pick<Scheduler, 'enqueue'>;
  readonly regions: Pick<RegionWatch, 'operatorOnline' | 'operatorLost'>;
  readonly trust: LifecycleHooks;
  /** How long an operator may be silent before it is offline (config.ts). */
  readonly offlineAfterMs: number;
}
