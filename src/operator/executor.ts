/**
 * What an agent runs assignments with: the EU runtime (a QuickJS sandbox in
 * worker threads), or, in the simulator, a cost model that spends time
 * instead of running code so hundreds of agents fit on one machine, or a
 * wrapper around either (sim/faulty-executor.ts). All implement the
 * runtime's interface.
 */
import type { ExecutionOutcome, ExecutionRequest, Runtime } from '../runtime/index.js';

export type { ExecutionOutcome } from '../runtime/index.js';

/** One run for one assignment. The runtime needs only the request; the task id is for wrappers that judge per task. */
export interface ExecutionJob extends ExecutionRequest {
  taskId: string;
}

/** A runtime is an executor as it is: it takes any request, and a job is one. */
export interface Executor extends Omit<Runtime, 'execute'> {
  execute(job: ExecutionJob): Promise<ExecutionOutcome>;
}
