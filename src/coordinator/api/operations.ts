/**
 * The API operations, as the HTTP routes see them. The routes are typed against this
 * interface, not the Coordinator class, so that the composition root (server/) can import
 * the routes without the routes importing it back, and so that a route can be driven by
 * any implementation of the operations (a follower coordinator, a test double).
 */
import type {
  CancelTasksResponse,
  CortenEvent,
  EuSummary,
  EuView,
  OperatorView,
  PublishEuRequest,
  PublishEuResponse,
  RegionView,
  Stats,
  SubmitTasksRequest,
  SubmitTasksResponse,
  TaskView,
} from '../../protocol/index.js';
import type { EventFilter, TaskStatus } from '../../store/index.js';
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
  getTask(id: string, viewer: Viewer): Promise<TaskView>;
  listTasks(
    filter: { status?: TaskStatus; eu?: string; after?: string; limit: number },
    viewer: Viewer,
  ): Promise<{ tasks: Omit<TaskView, 'assignments' | 'verdict'>[] }>;
  /**
   * Cancels open tasks `caller` owns (the admin: anyone's): leases cancelled, operators told to
   * drop them, nobody slashed, escrow refunded. Finished and others' tasks are skipped.
   */
  cancelTasks(ids: readonly string[], caller: Viewer): Promise<CancelTasksResponse>;
  listEvents(filter: Omit<EventFilter, 'visibleTo'>, viewer: Viewer): Promise<CortenEvent[]>;
  listOperators(): OperatorView[];
  getOperator(id: string): OperatorView;
  listRegions(): RegionView[];
  setRegion(region: string, down: boolean, reason: string): Promise<void>;
  stats(): Stats;
  metricsText(): Promise<{ contentType: string; body: string }>;
}
