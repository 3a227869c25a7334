/**
 * Task search on 100,000 tasks (the dashboard's Tasks view, GET /v1/tasks): each filter's
 * first page and a deep page, and the counts the Overview shows, on the SQLite store with
 * its migrations (the task_search migration's indexes). Times are the median of RUNS calls.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ChangeSet, SqliteStore, type TaskFilter, type TaskRow, type TaskStatus } from '../src/store/index.js';
import { fmt, heading, line, percentile } from './support.js';

const RUNS = 21;
const PAGE = 50;
const OWNERS = 20;
const EUS = 5;
const OPERATORS = 60;
const REGIONS = ['eu-west', 'us-east', 'ap-south', 'sa-east', 'af-south'];
/** Most tasks verified, as on a network that has run a while; a few of each other status. */
const STATUSES: TaskStatus[] = [
  ...Array<TaskStatus>(90).fill('verified'),
  'failed',
  'failed',
  'failed',
  'pending',
  'running',
  'running',
  'verifying',
  'escalated',
  'pending',
  'running',
];
const FAILURES = ['unverifiable', 'attempts_exhausted', 'eu_error'];

function task(i: number): TaskRow {
  const status = STATUSES[i % STATUSES.length]!;
  return {
    id: `t_${i.toString(36).padStart(6, '0')}`,
    euId: `eu_${i % EUS}`,
    status,
    input: `{"n":${i}}`,
    inputHash: `h${i}`,
    seed: 's',
    clock: 1,
    quorum: 2,
    maxReplicas: 5,
    replicas: 2,
    attempts: 2,
    outputHash: status === 'verified' ? `o${i}` : null,
    resultAssignmentId: null,
    failure: status === 'failed' ? FAILURES[i % FAILURES.length]! : null,
    failureMessage: status === 'failed' ? 'why' : null,
    submittedAt: 1_700_000_000_000 + i * 10,
    updatedAt: 1_700_000_000_000 + i * 10,
    finishedAt: null,
    // Runs of 7 tasks an account, so accounts see every status.
    owner: `acct_${Math.floor(i / 7) % OWNERS}`,
  };
}

export async function searchBench(count = 100_000): Promise<void> {
  heading(`task search on ${fmt(count)} tasks (${fmt(count * 2)} assignments), SQLite`);
  const dir = mkdtempSync(join(tmpdir(), 'corten-search-bench-'));
  const store = new SqliteStore({ dir });
  try {
    await store.migrate();
    const setup = new ChangeSet();
    for (let o = 0; o <= OPERATORS; o++) {
      setup.push({
        op: 'operator.upsert',
        row: {
          id: o === OPERATORS ? 'op_rare' : `op_${o}`,
          publicKey: `pk${o}`,
          region: REGIONS[o % REGIONS.length]!,
          status: 'online',
          resources: '{}',
          maxConcurrent: 4,
          firstSeenAt: 1,
          lastSeenAt: 1,
          statusReason: null,
        },
      });
    }
    for (let e = 0; e < EUS; e++) {
      setup.push({
        op: 'eu.insert',
        row: {
          id: `eu_${e}`,
          name: `eu${e}`,
          version: '1.0.0',
          manifest: '{}',
          files: '{}',
          publishedAt: 1,
          owner: 'network',
        },
      });
    }
    await store.commit(setup);
    const started = performance.now();
    for (let from = 0; from < count; from += 5000) {
      const cs = new ChangeSet();
      for (let i = from; i < Math.min(count, from + 5000); i++) {
        const row = task(i);
        cs.push({ op: 'task.insert', row });
        // Every 1000th task also ran on op_rare: an operator of few tasks.
        for (let r = 0; r < (i % 1000 === 0 ? 3 : 2); r++) {
          cs.push({
            op: 'assignment.insert',
            row: {
              id: `a_${i}_${r}`,
              taskId: row.id,
              operatorId: r === 2 ? 'op_rare' : `op_${(i * 7 + r * 13) % OPERATORS}`,
              attempt: r + 1,
              status: 'accepted',
              leasedAt: row.submittedAt,
              leaseExpiresAt: row.submittedAt + 1000,
              finishedAt: row.submittedAt + 100,
              output: null,
              outputHash: null,
              errorCode: null,
              signature: null,
              signatureProof: null,
              durationMs: 100,
              cpuMs: null,
              memoryMb: null,
              endReason: null,
            },
          });
        }
      }
      await store.commit(cs);
    }
    line(`  loaded in ${fmt((performance.now() - started) / 1000, 1)} s`);

    const deep = task(Math.floor(count / 2)).id;
    const cases: [string, TaskFilter][] = [
      ['newest first, no filter', { order: 'desc', limit: PAGE }],
      ['oldest first, no filter', { limit: PAGE }],
      ['deep page (after the middle task), desc', { order: 'desc', after: deep, limit: PAGE }],
      ['status = failed ("failed only")', { status: 'failed', order: 'desc', limit: PAGE }],
      ['failure = unverifiable', { status: 'failed', failure: 'unverifiable', order: 'desc', limit: PAGE }],
      ['one account (scope of an API key)', { owner: 'acct_4', order: 'desc', limit: PAGE }],
      ['one account, status = failed', { owner: 'acct_4', status: 'failed', order: 'desc', limit: PAGE }],
      ['one EU', { euId: 'eu_2', order: 'desc', limit: PAGE }],
      ['one operator', { operatorId: 'op_17', order: 'desc', limit: PAGE }],
      ['one operator of few tasks', { operatorId: 'op_rare', order: 'desc', limit: PAGE }],
      ['one operator, one account', { operatorId: 'op_17', owner: 'acct_4', order: 'desc', limit: PAGE }],
      ['one region', { region: 'ap-south', order: 'desc', limit: PAGE }],
      ['id prefix', { idPrefix: task(count - 1234).id.slice(0, 6), order: 'desc', limit: PAGE }],
      [
        'time range (1% of the span)',
        { since: task(count / 2).submittedAt, until: task(count / 2 + count / 100).submittedAt, limit: PAGE },
      ],
      ['no match (status = escalated, unknown EU)', { status: 'escalated', euId: 'eu_none', limit: PAGE }],
    ];
    line(`  query (page of ${PAGE})                          median ms   p95 ms   rows`);
    const time = async (label: string, run: () => Promise<number>) => {
      const samples: number[] = [];
      let rows = 0;
      for (let r = 0; r < RUNS; r++) {
        const t0 = performance.now();
        rows = await run();
        samples.push(performance.now() - t0);
      }
      line(
        `  ${label.padEnd(46)} ${fmt(percentile(samples, 50), 2).padStart(9)} ${fmt(percentile(samples, 95), 2).padStart(8)} ${String(rows).padStart(6)}`,
      );
    };
    for (const [label, filter] of cases) await time(label, async () => (await store.listTasks(filter)).length);
    await time(
      'counts by status and failure, everyone',
      async () => Object.keys((await store.countTasks()).byStatus).length,
    );
    await time(
      'counts by status and failure, one account',
      async () => Object.keys((await store.countTasks('acct_4')).byStatus).length,
    );
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
