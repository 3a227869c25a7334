export { Coordinator } from './server/index.js';
export { defaultConfig, type CoordinatorConfig } from './config/index.js';
