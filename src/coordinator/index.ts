export { Coordinator } from './coordinator.js';
export { defaultConfig, type CoordinatorConfig } from './config.js';
