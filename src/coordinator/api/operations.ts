/**
 * The API operations, as the HTTP routes see them. The routes are typed against this
 * interface, not the Coordinator class, so that the composition root (server/) can import
 * the routes without the routes importing it back, and so that a route can be driven by
 * any implementation of the operations (a follower coordinator, a test double).
 */
import type {
  BulkTasksResponse,
  CortenEvent,
  ListTasksQuery,
  EuSummary,
  EuView,
  OperatorHistoryView,
  OperatorView,
  PublishEuRequest,
  PublishEuResponse,
  RegionView,
  Stats,
  SubmitTasksRequest,
  SubmitTasksResponse,
  TaskCountsView,
  TaskView,
} from '../../protocol/index.js';
import type { EventFilter } from '../../store/index.js';
import type { Accounts, Viewer } from '../economics/index.js';
import type { EventBus } from '../engine/index.js';
import type { TrustApi } from './trust-api.js';
import type { WorkflowApi } from './workflow-api.js';

export interface CoordinatorOperations {
  /** The coordinator's identity (its public key's id). */
  readonly id: string;
  readonly bus: Pick<EventBus, 'seq' | 'subscribe'>;
  readonly accounts: Pick<Accounts, 'identify' | 'requireAdmin'>;
  readonly trust: TrustApi;
  /** Workflows and jobs (workflow-api.ts). */
  readonly workflows: WorkflowApi;
  viewer(authorization: string | undefined): Promise<Viewer>;
  publishEu(request: PublishEuRequest, authorization?: string): Promise<PublishEuResponse>;
  listEus(): EuSummary[];
  getEu(ref: string): EuView;
  submitTasks(request: SubmitTasksRequest, authorization?: string): Promise<SubmitTasksResponse>;
  /** Operators online now that could run the EU (the scheduler's view: requirements, stake, regions), busy or not. */
  capableOperators(euId: string): number;
  getTask(id: string, viewer: Viewer): Promise<TaskView>;
  /** Task search in the viewer's scope; `next` is the `after` of the next page (null on the last). */
  listTasks(
    query: ListTasksQuery,
    viewer: Viewer,
  ): Promise<{ tasks: Omit<TaskView, 'assignments' | 'verdict'>[]; next: string | null }>;
  /** Tasks by status and failures by reason, in the viewer's scope. */
  countTasks(viewer: Viewer): Promise<TaskCountsView>;
  /** Retries failed tasks the viewer may act on (its own; the admin's: all), each as a new task. */
  retryTasks(ids: readonly string[], viewer: Viewer): Promise<BulkTasksResponse>;
  /** Cancels open tasks the viewer may act on; they fail as `cancelled`, escrow refunded. */
  cancelTasks(ids: readonly string[], viewer: Viewer): Promise<BulkTasksResponse>;
  listEvents(filter: Omit<EventFilter, 'visibleTo'>, viewer: Viewer): Promise<CortenEvent[]>;
  listOperators(): OperatorView[];
  getOperator(id: string): OperatorView;
  /** The operator's standing over time, from the store (a follower serves it too). */
  operatorHistory(id: string, since: number, limit: number): Promise<OperatorHistoryView>;
  listRegions(): RegionView[];
  setRegion(region: string, down: boolean, reason: string): Promise<void>;
  stats(): Stats;
  metricsText(): Promise<{ contentType: string; body: string }>;
}
