export * as operatorFlow from './operator-flow.js';
export * as taskFlow from './task-flow.js';
export { RegionWatch } from './region-watch.js';
export { loseLease } from './task-flow.js';
export { startLeases } from './lease-clock.js';
export { type FlowContext, type LifecycleHooks, type NewInput } from './flow-context.js';
export { type RegionContext } from './region-watch.js';
