export { LocalNetwork, ManagedProcess, cliPath, packageRoot, type OperatorProcess, type OperatorSpec, type LocalNetworkOptions } from './local-network.js';
export { AgentHost, type AgentHostOptions } from './agent-host.js';
export { CostModelExecutor, costModelOutput, drawMs, type CostDistribution } from './cost-model.js';
export { AgentControl, ControlCommand, CONTROL_REPLY_PREFIX, type ControlReply, type ControlRequest } from './agent-control.js';
