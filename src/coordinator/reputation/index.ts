export { assessHealth, score, shouldSuspend } from './health-policy.js';
export { STAKE_SUSPENSION, degrade, recover, reinstate, suspend } from './operator-standing.js';
export { ReputationBook } from './reputation.js';
export { grantedSlots, releaseSuspension } from './slot-policy.js';
export { Standing, type StandingContext } from './standing.js';
