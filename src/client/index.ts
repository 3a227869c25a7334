export {
  CortenClient,
  type ClientOptions,
  type EventQuery,
  type WaitOptions,
  type EventStream,
  type TaskSearch,
  type TaskSummary,
} from './client.js';
export type { FollowOptions } from './event-follower.js';
export type { Stats } from '../protocol/index.js';
