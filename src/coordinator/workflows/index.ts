export { Workflows } from './workflows.js';
export { compileWorkflow, readDocument, type CompiledWorkflow } from './document.js';
export { type JobState, type StepRun, type WorkflowEntry } from './job-state.js';
export { type JobEscrowHooks, type WorkflowContext } from './workflow-context.js';
export { buildInput, conditionHolds } from './inputs.js';
