export { defaultConfig, heartbeatIntervalFor, offlineAfterMs, type CoordinatorConfig } from './config.js';
