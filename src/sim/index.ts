export { LocalNetwork, ManagedProcess, cliPath, packageRoot, type OperatorProcess, type OperatorSpec, type LocalNetworkOptions } from './local-network.js';
export { AgentHost, type AgentHostOptions } from './agent-host.js';
export { CostModelExecutor, drawMs, type CostDistribution } from './cost-model.js';
