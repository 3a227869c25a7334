export { Agent, type AgentOptions } from './agent.js';
export type { Executor, ExecutionJob, ExecutionOutcome } from './executor.js';
export { Faults, NO_FAULTS, parseFaults } from './faults.js';
