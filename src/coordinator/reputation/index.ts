export { assessHealth, score, shouldSuspend } from './health-policy.js';
export { STAKE_SUSPENSION, degrade, recover, reinstate, suspend } from './operator-standing.js';
export { ReputationBook, type OperatorRecord } from './reputation.js';
export { HISTORY_INTERVAL_MS, HISTORY_RETENTION_MS, ReputationHistory } from './reputation-history.js';
export { grantedSlots, releaseSuspension } from './slot-policy.js';
export { Standing, type StandingContext } from './standing.js';
