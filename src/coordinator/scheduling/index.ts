export { meetsRequirements, Scheduler } from './scheduler.js';
