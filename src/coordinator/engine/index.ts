export { Engine } from './engine.js';
export { EventBus } from './event-bus.js';
export { recover, type RecoveryReport } from './recovery.js';
