export { Agent, type AgentOptions, type Execution } from './agent.js';
export { AgentMetrics, portOf, serveAgentMetrics } from './agent-metrics.js';
export type { Executor, ExecutionJob, ExecutionOutcome } from './executor.js';
export { webSocketTransport, type Connection, type ConnectionEvents, type Transport } from './transport.js';
