export { AdaptiveReplication } from './adaptive-replication.js';
export { EU_RESOURCE_EXCEEDED, isEuResourceFault, paidResourceFaults } from './eu-fault.js';
export { acceptResults, type UnreadableResult } from './result-intake.js';
export { SemanticVerifier, type Grouping } from './semantic-verifier.js';
export { cancelLive, endResult, failForResources, finish } from './verdicts.js';
export { type ResultView } from './verifier.js';
export { type IntakeContext, type RefusalSample, type VerdictContext, type VerdictHooks } from './verdict-context.js';
