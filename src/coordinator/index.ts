export { Coordinator } from './server/coordinator.js';
export { defaultConfig, type CoordinatorConfig } from './config/config.js';
