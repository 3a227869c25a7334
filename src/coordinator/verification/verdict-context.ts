/**
 * What result intake and the verdicts need of the coordinator: the open tasks, the
 * operators, a way back into the queue, and the trust side's hooks. The engine satisfies
 * it; verification never sees the engine itself (no import cycle, and a test can pass a
 * small fake).
 */
import type { Logger } from 'pino';
import type { ExecutionMetrics } from '../../protocol/index.js';
import type { Store } from '../../store/index.js';
import type {
  AssignmentState,
  OperatorConnection,
  OperatorState,
  TaskMemory,
  TaskState,
  Turn,
} from '../memory/index.js';
import type { Grouping } from './semantic-verifier.js';
import type { ResultView } from './verifier.js';

/** The trust side, as verification calls it. */
export interface VerdictHooks {
  /** Groups a semantic task's results into clusters of agreeing outputs. */
  group(task: TaskState, results: readonly ResultView[]): Promise<Grouping>;
  /** A task reached its end (the fact `verdict reached`): settled and counted in this turn. */
  finish(turn: Turn, task: TaskState, status: 'verified' | 'failed', failure: string | null): void;
  /** A result was accepted for verification: record its measurements. */
  result(turn: Turn, task: TaskState, a: AssignmentState, metrics: ExecutionMetrics): void;
}

export interface VerdictContext {
  readonly memory: TaskMemory;
  readonly operators: ReadonlyMap<string, OperatorState>;
  readonly scheduler: { enqueue(task: TaskState, front?: boolean): void };
  readonly trust: VerdictHooks;
}

/** A result refused, as it is told to its operator and counted. */
export interface RefusalSample {
  assignmentId: string;
  code: string;
  message: string;
  taskId?: string;
}

export interface IntakeContext extends VerdictContext {
  readonly store: Pick<Store, 'getAssignment'>;
  readonly log: Logger;
  refuseResult(turn: Turn, conn: OperatorConnection, op: OperatorState, sample: RefusalSample): void;
}
