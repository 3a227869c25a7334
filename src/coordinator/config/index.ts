export { defaultConfig, offlineAfterMs, type CoordinatorConfig } from './config.js';
