export { CortenClient, type EventQuery, type EventStream } from './client.js';
export type { Stats } from '../protocol/index.js';
