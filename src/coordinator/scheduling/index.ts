export { Scheduler } from './scheduler.js';
