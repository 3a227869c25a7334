export { compareSemver, EuRegistry, satisfiesRange } from './eu-registry.js';
export { newId, newSeed } from './ids.js';
export {
  canTakeWork,
  chargedAttempts,
  freeSlot,
  isFreeLoss,
  liveAssignments,
  replicasToAssign,
  type AssignmentState,
  type EuState,
  type JobRef,
  type OperatorConnection,
  type OperatorState,
  type TaskPayer,
  type TaskState,
} from './state.js';
export { Turn } from './turn.js';
export { TaskMemory } from './task-memory.js';
export { type DomainFactListener, type LeaseLost, type VerdictReached } from './domain-facts.js';
