export {
  LocalNetwork,
  ManagedProcess,
  cliPath,
  packageRoot,
  type OperatorProcess,
  type OperatorSpec,
  type LocalNetworkOptions,
} from './local-network.js';
export { CoordinatorCluster, type ClusterMember, type RoleChange } from './coordinator-cluster.js';
export { AgentHost, type AgentHostOptions } from './agent-host.js';
export { CostModelExecutor, costModelOutput, drawMs, type CostDistribution } from './cost-model.js';
export {
  AgentControl,
  ControlCommand,
  CONTROL_REPLY_PREFIX,
  type ControlReply,
  type ControlRequest,
} from './agent-control.js';
export {
  FaultEntry,
  Scenario,
  loadScenario,
  parseScenario,
  timeMs,
  type FaultKind,
  type ScenarioInput,
  type SimEuSpec,
} from './scenario.js';
export { planScenario, regionOf, type PlannedFault, type RunOverrides, type SimPlan } from './scenario-plan.js';
export { runSimulation, simEuPackage, type SimulationOptions, type SimulationRun } from './simulation.js';
export { buildReport, type ClassFigures, type FaultFigures, type SimReport } from './sim-report.js';
export { renderChart } from './report-chart.js';
export { COLLECTED_EVENTS, EventCollector } from './event-collector.js';
export { cpuSeconds, memoryMb } from './process-stats.js';
export { fromHistogram, type CoordinatorSample, type SchedulingFigures } from './coordinator-watch.js';
export { Faults, NO_FAULTS, parseFaults } from './faults.js';
export { FaultyAgent } from './faulty-agent.js';
export { FaultyExecutor } from './faulty-executor.js';
export { FaultyTransport, type PartitionMode } from './faulty-transport.js';
