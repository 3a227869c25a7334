// The API's shapes, shared with the coordinator (type-only: nothing of the server is bundled).
export type { CortenEvent, EventType } from '../../src/protocol/events.js';
export type {
  AssignmentView,
  OperatorHistoryView,
  OperatorView,
  RegionView,
  TaskView,
} from '../../src/protocol/api.js';
export type { TaskStatus } from '../../src/protocol/statuses.js';
export type { LedgerEntry } from '../../src/protocol/ledger.js';
export type { Receipt } from '../../src/protocol/receipt.js';
