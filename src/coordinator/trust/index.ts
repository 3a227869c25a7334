export { operatorSummary, reputationView } from './trust-views.js';
export { Trust } from './trust.js';
export { type TrustContext } from './trust-context.js';
export { queueStandingNotices } from './standing-notices.js';
