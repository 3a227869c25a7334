export { Agent, type AgentOptions } from './agent.js';
export type { Executor, ExecutionJob, ExecutionOutcome } from './executor.js';
export { webSocketTransport, type Connection, type ConnectionEvents, type Transport } from './transport.js';
