export { CortenClient, type EventQuery, type EventStream, type TaskSummary } from './client.js';
export type { Stats } from '../protocol/index.js';
