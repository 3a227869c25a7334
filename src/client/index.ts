export { CortenClient, type EventQuery, type EventStream, type Stats } from './client.js';
