export { CortenClient, type ClientOptions, type EventQuery, type WaitOptions, type EventStream } from './client.js';
export type { FollowOptions } from './event-follower.js';
export type { Stats } from '../protocol/index.js';
