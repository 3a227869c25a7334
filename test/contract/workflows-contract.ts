/**
 * The Store contract for workflows and jobs: immutable versions unique by name
 * and version, jobs listed by name, status and owner a keyset page at a time,
 * step state upserted, the (job, step, index) idempotency key of step tasks,
 * a job's detail with each task's status and accepted output, and the loads of
 * recovery and upgrades.
 */
import { describe, expect, it } from 'vitest';
import { ChangeSet, type JobRow, type WorkflowRow } from '../../src/store/index.js';
import { assignmentRow, taskRow, withEu, type StoreContext } from './store-fixtures.js';

function workflowRow(id: string, over: Partial<WorkflowRow> = {}): WorkflowRow {
  return { id, name: 'news', version: '1.0.0', document: '{"steps":[]}', owner: 'acct_1', publishedAt: 1, ...over };
}

function jobRow(id: string, over: Partial<JobRow> = {}): JobRow {
  return {
    id,
    workflowId: 'wf_1',
    name: 'news',
    owner: 'acct_1',
    accountId: 'acct_1',
    status: 'running',
    input: '{"text":"a"}',
    reserved: 7,
    escrowEntry: 'le_1',
    failure: null,
    submittedAt: 1,
    updatedAt: 1,
    finishedAt: null,
    ...over,
  };
}

export function describeWorkflowsContract(ctx: StoreContext): void {
  describe('workflows and jobs', () => {
    it('keeps versions unique by name and version, and lists them by name then publication', async () => {
      const { store } = ctx;
      const cs = new ChangeSet();
      cs.push({ op: 'workflow.insert', row: workflowRow('wf_2', { version: '2.0.0', publishedAt: 5 }) });
      cs.push({ op: 'workflow.insert', row: workflowRow('wf_1') });
      cs.push({ op: 'workflow.insert', row: workflowRow('wf_a', { name: 'alpha' }) });
      await store.commit(cs);
      expect((await store.workflows.listWorkflows()).map((w) => w.id)).toEqual(['wf_a', 'wf_1', 'wf_2']);
      expect(await store.workflows.getWorkflow('wf_2')).toEqual(
        workflowRow('wf_2', { version: '2.0.0', publishedAt: 5 }),
      );
      expect(await store.workflows.getWorkflow('wf_none')).toBeUndefined();
      const clash = new ChangeSet();
      clash.push({ op: 'workflow.insert', row: workflowRow('wf_other') });
      await expect(store.commit(clash)).rejects.toThrow();
      expect(await store.workflows.getWorkflow('wf_other')).toBeUndefined();
    });

    it('lists jobs by name, status and owner, a keyset page at a time, and updates them', async () => {
      const { store } = ctx;
      const cs = new ChangeSet();
      cs.push({ op: 'workflow.insert', row: workflowRow('wf_1') });
      cs.push({ op: 'workflow.insert', row: workflowRow('wf_x', { name: 'other' }) });
      for (let i = 1; i <= 5; i++) cs.push({ op: 'job.insert', row: jobRow(`j_${i}`, { submittedAt: i }) });
      cs.push({ op: 'job.insert', row: jobRow('j_o', { workflowId: 'wf_x', name: 'other', owner: 'acct_2' }) });
      cs.push({ op: 'job.update', id: 'j_2', set: { status: 'completed', reserved: 0, finishedAt: 9, updatedAt: 9 } });
      await store.commit(cs);
      const ids = async (filter: Parameters<typeof store.workflows.listJobs>[0]) =>
        (await store.workflows.listJobs(filter)).map((j) => j.id);
      expect(await ids({ name: 'news', limit: 2 })).toEqual(['j_1', 'j_2']);
      expect(await ids({ name: 'news', after: 'j_2', limit: 10 })).toEqual(['j_3', 'j_4', 'j_5']);
      expect(await ids({ name: 'news', status: 'running', limit: 10 })).toEqual(['j_1', 'j_3', 'j_4', 'j_5']);
      expect(await ids({ owner: 'acct_2', limit: 10 })).toEqual(['j_o']);
      expect(await ids({ status: 'completed', limit: 10 })).toEqual(['j_2']);
      expect(await store.workflows.getJob('j_2')).toMatchObject({ status: 'completed', reserved: 0, finishedAt: 9 });
      const missing = new ChangeSet();
      missing.push({ op: 'job.update', id: 'j_none', set: { status: 'failed' } });
      await expect(store.commit(missing)).rejects.toThrow();
    });

    it('creates a step task once: a second task at the same (job, step, index) fails the whole commit', async () => {
      const { store } = ctx;
      const cs = withEu();
      cs.push({ op: 'workflow.insert', row: workflowRow('wf_1') });
      cs.push({ op: 'job.insert', row: jobRow('j_1') });
      cs.push({ op: 'task.insert', row: taskRow('t1') });
      cs.push({ op: 'job_task.insert', row: { jobId: 'j_1', stepId: 's', index: 0, taskId: 't1' } });
      await store.commit(cs);
      const again = new ChangeSet();
      again.push({ op: 'task.insert', row: taskRow('t2') });
      again.push({ op: 'job_task.insert', row: { jobId: 'j_1', stepId: 's', index: 0, taskId: 't2' } });
      again.event('task.submitted', 2, { taskId: 't2', euId: 'eu_1' }, { taskId: 't2' });
      await expect(store.commit(again)).rejects.toThrow();
      expect(await store.getTask('t2')).toBeUndefined();
      expect(await store.lastEventSeq()).toBe(0);
      expect((await store.workflows.getJobDetail('j_1')).tasks.map((t) => t.taskId)).toEqual(['t1']);
    });

    it('writes a commit of many jobs whole: each job with its updates, steps and step tasks', async () => {
      const { store } = ctx;
      const cs = withEu();
      cs.push({ op: 'workflow.insert', row: workflowRow('wf_1') });
      const count = 150;
      const id = (i: number) => `j_${String(i).padStart(3, '0')}`;
      for (let i = 0; i < count; i++) {
        cs.push({ op: 'job.insert', row: jobRow(id(i), { submittedAt: i }) });
        cs.push({ op: 'task.insert', row: taskRow(`t${i}`) });
        cs.push({ op: 'job_task.insert', row: { jobId: id(i), stepId: 's', index: 0, taskId: `t${i}` } });
        const step = { jobId: id(i), stepId: 's', euId: 'eu_1', tasks: 1, reason: null, updatedAt: 2 };
        cs.push({ op: 'job_step.upsert', row: { ...step, status: 'ready', output: null } });
        if (i % 2 === 0) {
          cs.push({ op: 'job_step.upsert', row: { ...step, status: 'verified', output: `{"i":${i}}` } });
          cs.push({ op: 'job.update', id: id(i), set: { status: 'completed', finishedAt: 3, updatedAt: 3 } });
        }
      }
      await store.commit(cs);
      const running = await store.workflows.listJobs({ status: 'running', limit: 1000 });
      const completed = await store.workflows.listJobs({ status: 'completed', limit: 1000 });
      expect([running.length, completed.length]).toEqual([count / 2, count / 2]);
      expect(completed[0]).toMatchObject({ id: id(0), status: 'completed', finishedAt: 3 });
      const detail = await store.workflows.getJobDetail(id(148));
      expect(detail.steps.map((s) => [s.status, s.output])).toEqual([['verified', '{"i":148}']]);
      expect(detail.tasks.map((t) => t.taskId)).toEqual(['t148']);
      expect((await store.workflows.getJobDetail(id(149))).steps.map((s) => s.status)).toEqual(['ready']);
    });

    it("upserts step state and reads a job's detail with each task's status and accepted output", async () => {
      const { store } = ctx;
      const cs = withEu();
      cs.push({ op: 'workflow.insert', row: workflowRow('wf_1') });
      cs.push({ op: 'job.insert', row: jobRow('j_1') });
      const step = { jobId: 'j_1', stepId: 'each', euId: 'eu_1', tasks: 2, output: null, reason: null, updatedAt: 1 };
      cs.push({ op: 'job_step.upsert', row: { ...step, status: 'ready' } });
      cs.push({ op: 'task.insert', row: taskRow('t1') });
      cs.push({ op: 'task.insert', row: taskRow('t2') });
      cs.push({
        op: 'assignment.insert',
        row: assignmentRow('a1', 't1', 1, { status: 'accepted', output: '{"y":1}' }),
      });
      cs.push({ op: 'task.update', id: 't1', set: { status: 'verified', resultAssignmentId: 'a1', finishedAt: 3 } });
      cs.push({ op: 'job_task.insert', row: { jobId: 'j_1', stepId: 'each', index: 1, taskId: 't2' } });
      cs.push({ op: 'job_task.insert', row: { jobId: 'j_1', stepId: 'each', index: 0, taskId: 't1' } });
      cs.push({ op: 'job_step.upsert', row: { ...step, status: 'running', reason: 'r', updatedAt: 2 } });
      await store.commit(cs);
      const detail = await store.workflows.getJobDetail('j_1');
      expect(detail.steps).toEqual([{ ...step, status: 'running', reason: 'r', updatedAt: 2 }]);
      expect(detail.tasks).toEqual([
        {
          jobId: 'j_1',
          stepId: 'each',
          index: 0,
          taskId: 't1',
          euId: 'eu_1',
          status: 'verified',
          failure: null,
          output: '{"y":1}',
        },
        {
          jobId: 'j_1',
          stepId: 'each',
          index: 1,
          taskId: 't2',
          euId: 'eu_1',
          status: 'pending',
          failure: null,
          output: null,
        },
      ]);
      expect(await store.workflows.getJobDetail('j_none')).toEqual({ steps: [], tasks: [] });
    });

    it('loads running jobs for recovery, and jobs of other versions for upgrades', async () => {
      const { store } = ctx;
      const cs = withEu();
      cs.push({ op: 'workflow.insert', row: workflowRow('wf_1') });
      cs.push({ op: 'workflow.insert', row: workflowRow('wf_2', { version: '2.0.0' }) });
      cs.push({ op: 'job.insert', row: jobRow('j_run') });
      cs.push({ op: 'job.insert', row: jobRow('j_done', { status: 'completed' }) });
      cs.push({ op: 'job.insert', row: jobRow('j_new', { status: 'completed', workflowId: 'wf_2' }) });
      const step = {
        stepId: 's',
        status: 'verified',
        euId: 'eu_1',
        tasks: 1,
        output: '{}',
        reason: null,
        updatedAt: 1,
      };
      cs.push({ op: 'job_step.upsert', row: { ...step, jobId: 'j_run' } });
      cs.push({ op: 'job_step.upsert', row: { ...step, jobId: 'j_done' } });
      cs.push({ op: 'task.insert', row: taskRow('t1') });
      cs.push({ op: 'job_task.insert', row: { jobId: 'j_run', stepId: 's', index: 0, taskId: 't1' } });
      await store.commit(cs);
      const open = await store.workflows.loadOpenJobs();
      expect(open.jobs.map((j) => j.id)).toEqual(['j_run']);
      expect(open.steps.map((s) => s.jobId)).toEqual(['j_run']);
      expect(open.tasks.map((t) => t.taskId)).toEqual(['t1']);
      const done = await store.workflows.loadJobsToUpgrade('news', 'completed', 'wf_2');
      expect(done.jobs.map((j) => j.id)).toEqual(['j_done']);
      expect(done.steps.map((s) => s.jobId)).toEqual(['j_done']);
      expect((await store.workflows.loadJobsToUpgrade('news', 'running', 'wf_1')).jobs).toEqual([]);
    });
  });
}
