export { type Coordinator } from './coordinator.js';
