/**
 * The reads of workflows and jobs, behind the Store (`store.workflows`).
 * Writes travel in the ChangeSet like every other write (see WorkflowChange).
 */
import type { JobFilter, JobRow, JobsSnapshot, JobStepRow, JobTaskState, WorkflowRow } from './rows.js';

export interface WorkflowStore {
  getWorkflow(id: string): Promise<WorkflowRow | undefined>;
  /** Every published version, by name then publication. */
  listWorkflows(): Promise<WorkflowRow[]>;
  getJob(id: string): Promise<JobRow | undefined>;
  /** Jobs in submission order, keyset-paged. */
  listJobs(filter: JobFilter): Promise<JobRow[]>;
  /** One job's steps and step tasks (with each task's status and accepted output). */
  getJobDetail(jobId: string): Promise<{ steps: JobStepRow[]; tasks: JobTaskState[] }>;
  /** Every running job with its steps and step tasks, for recovery. */
  loadOpenJobs(): Promise<JobsSnapshot>;
  /** Jobs of a workflow name in one status not on `workflowId`, with their steps (tasks left out), for upgrades. */
  loadJobsToUpgrade(name: string, status: 'running' | 'completed', workflowId: string): Promise<JobsSnapshot>;
}
