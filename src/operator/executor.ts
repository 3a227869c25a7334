/**
 * What an agent runs assignments with: the EU runtime (a QuickJS sandbox in
 * worker threads), or, in the simulator, a cost model that spends time
 * instead of running code so hundreds of agents fit on one machine. Both
 * implement the runtime's interface.
 */
export type { ExecutionRequest as ExecutionJob, ExecutionOutcome, Runtime as Executor } from '../runtime/index.js';
