/**
 * `corten demo`: the main job, end to end on one machine. A coordinator and a
 * dozen operators in three regions run a news workflow (summarize each
 * article, quorum 2) over the bundled articles; one operator lies and is
 * outvoted on escalation and slashed; a quarter of the way in, the busiest
 * operator is killed with SIGKILL and its work moves; half way, version 2 adds
 * a sentiment step, which running jobs adopt and finished jobs are backfilled
 * with, and which only the operators serving sentiment pick up. The demo
 * prints what the network did and what it cost: a developer account pays from
 * a deposit, escrow is reserved for every step, operators earn and are
 * slashed, and the ledger and a receipt are verified at the end.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Command } from 'commander';
import { CortenClient } from '../client/index.js';
import { verifyLedger, verifyReceipt, type CortenEvent, type EventMap } from '../protocol/index.js';
import { LocalNetwork, packageRoot } from '../sim/index.js';
import { intOption } from './options.js';
import { printTable } from './output.js';
import { progressBar } from './progress.js';

interface DemoOptions {
  operators: number;
  jobs: number;
  keep?: boolean;
}

const REGIONS = ['eu-west', 'us-east', 'ap-south'];
/** Stake the demo's coordinator asks of operators, and what each operator bonds. */
const MIN_STAKE = 100;
const OPERATOR_STAKE = 1000;
const DEPOSIT = 10_000;

export function demoCommand(program: Command): void {
  program
    .command('demo')
    .description(
      'run a news workflow on a local network (a dozen operators in 3 regions, one liar), kill an operator and add a step mid-run, and report',
    )
    .option('--operators <n>', 'operators, spread over 3 regions', intOption, 12)
    .option('--jobs <n>', 'news jobs to run (an article each)', intOption, 150)
    .option('--keep', 'keep the data folder and logs afterwards')
    .action(async (opts: DemoOptions) => runDemo(opts));
}

async function runDemo(opts: DemoOptions): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'corten-demo-'));
  const network = new LocalNetwork({ dir, minStake: MIN_STAKE, operatorStake: OPERATOR_STAKE });
  const say = (line: string) => process.stdout.write(`${line}\n`);
  try {
    const url = await network.startCoordinator();
    say(`coordinator up at ${url} (data in ${dir})`);
    // Every operator summarizes; one in four can also score sentiment; one of them lies.
    const specs = Array.from({ length: opts.operators }, (_, i) => ({
      region: REGIONS[i % REGIONS.length]!,
      maxConcurrent: 2,
      workers: 1,
      args: ['--eus', i % 4 === 3 ? 'news-summarize,sentiment' : 'news-summarize'],
      ...(i === 1 ? { fault: 'lie' } : {}),
    }));
    const operators = await network.startOperators(specs);
    const liar = operators.find((o) => o.spec.fault === 'lie');
    const scorers = operators.filter((o) => o.spec.args?.[1]?.includes('sentiment')).map((o) => o.operatorId);
    say(
      `${operators.length} operators online: ${REGIONS.map((r) => `${operators.filter((o) => o.region === r).length} in ${r}`).join(', ')}; each staked ${OPERATOR_STAKE} credits (minimum ${MIN_STAKE})`,
    );
    say(`  ${scorers.length} of them can also run sentiment; ${liar?.operatorId ?? 'none'} returns made-up summaries`);
    const admin = network.admin();
    const account = await admin.createAccount('demo newsroom');
    await admin.deposit(account.id, DEPOSIT);
    say(`developer account ${account.id} created with a deposit of ${DEPOSIT} credits`);

    const articles = readFileSync(join(packageRoot(), 'examples', 'articles.jsonl'), 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as { title: string; text: string });
    const inputs = Array.from({ length: opts.jobs }, (_, i) => ({
      ...articles[i % articles.length]!,
      sentences: 2 + (Math.floor(i / articles.length) % 4),
    }));

    const client = new CortenClient(url, { apiKey: account.apiKey });
    const events: CortenEvent[] = [];
    // The admin's view: the whole network's story, the stake and slashes of every operator included.
    const stream = admin.stream({ after: 0 }, (e) => events.push(e));
    await stream.ready;
    await client.publishWorkflow(NEWS_V1);
    const submitted = await client.submitJobs('news', inputs);
    say(
      `workflow news@1.0.0 (summarize) published; ${opts.jobs} jobs submitted, ${submitted.escrowed} credits reserved in escrow for every step`,
    );

    let killed: { id: string; region: string; at: number } | null = null;
    let grown: { adopted: number; backfilled: number } | null = null;
    let finished = 0;
    const bar = progressBar('jobs', opts.jobs);
    const growing: Promise<void>[] = [];
    const statuses = await client.waitForJobs(submitted.jobIds, {
      after: submitted.after,
      onEvent: (e) => {
        if (e.type === 'job.completed' || e.type === 'job.failed' || e.type === 'job.cancelled') bar.update(++finished);
        if (!killed && finished >= opts.jobs / 4) {
          const victim = pickBusiest(network, events, liar?.operatorId);
          if (victim) {
            killed = { id: victim.operatorId, region: victim.region, at: Date.now() };
            victim.child.kill('SIGKILL');
          }
        }
        if (!grown && finished >= opts.jobs / 2) {
          grown = { adopted: 0, backfilled: 0 };
          growing.push(grow(client, grown));
        }
      },
    });
    await Promise.all(growing);
    bar.stop();
    stream.close();
    const taskIds = events.filter((e) => e.type === 'task.submitted').map((e) => e.taskId!);
    const settled = new Map<string, 'verified' | 'failed'>();
    for (const e of events)
      if (e.type === 'task.verified' || e.type === 'task.failed')
        settled.set(e.taskId!, e.type === 'task.verified' ? 'verified' : 'failed');
    report(say, events, settled, killed, taskIds.length);
    const done = [...statuses.values()].filter((s) => s === 'completed').length;
    const why = new Map<string, number>();
    for (const e of events) {
      if (e.type !== 'job.failed') continue;
      const reason = (e.data as { reason: string }).reason;
      why.set(reason, (why.get(reason) ?? 0) + 1);
    }
    const failures = [...why].map(([reason, n]) => `${n} ${reason}`).join(', ');
    say(`jobs: ${done} of ${opts.jobs} completed${failures ? `; failed: ${failures}` : ''}`);
    if (grown) {
      const { adopted, backfilled } = grown;
      const sentimentTasks = new Set(
        events
          .filter((e) => e.type === 'job.step.ready' && (e.data as { stepId: string }).stepId === 'sentiment')
          .flatMap((e) => (e.data as { taskIds: string[] }).taskIds),
      );
      const ranOn = new Set(
        events.filter((e) => e.type === 'task.assigned' && sentimentTasks.has(e.taskId!)).map((e) => e.operatorId!),
      );
      say(
        `  news@2.0.0 added a sentiment step mid-run: ${adopted} running jobs adopted it, ${backfilled} finished jobs were backfilled (summaries not re-run)`,
      );
      say(
        `  ${sentimentTasks.size} sentiment tasks ran on ${ranOn.size} operators, all of them among the ${scorers.length} that serve sentiment: ${[...ranOn].every((id) => scorers.includes(id)) ? 'yes' : 'NO'}`,
      );
    }

    const first = await client.getJob(submitted.jobIds[0]!);
    const summary = first.steps.find((st) => st.id === 'summarize')?.output as { summary?: string[] } | undefined;
    const sentiment = first.steps.find((st) => st.id === 'sentiment')?.output as { label?: string } | undefined;
    say(`\nsample: "${articles[0]!.title}" (job ${first.id}, news@${first.version})`);
    for (const sentence of summary?.summary ?? []) say(`  - ${sentence}`);
    if (sentiment?.label) say(`  sentiment of its first sentence: ${sentiment.label}`);
    const sampleTask = first.steps[0]!.tasks[0]!.taskId;
    await economics(say, events, admin, account.id, sampleTask, killed, liar?.operatorId ?? null);
  } finally {
    await network.stop();
    if (opts.keep) say(`\ndata and logs kept in ${dir}`);
    else rmSync(dir, { recursive: true, force: true });
  }
}

/** Version 1: summarize each article. */
const NEWS_V1 = {
  name: 'news',
  version: '1.0.0',
  steps: [
    {
      id: 'summarize',
      eu: 'news-summarize@^1',
      input: { title: '/input/title', text: '/input/text', sentences: '/input/sentences' },
    },
  ],
};

/** Version 2: the same, then the sentiment of the summary's first sentence. */
const NEWS_V2 = {
  ...NEWS_V1,
  version: '2.0.0',
  steps: [...NEWS_V1.steps, { id: 'sentiment', eu: 'sentiment@^1', input: { text: '/steps/summarize/summary/0' } }],
};

/** Publishes version 2 mid-run, moves running jobs to it and backfills the finished ones. */
async function grow(client: CortenClient, into: { adopted: number; backfilled: number }): Promise<void> {
  await client.publishWorkflow(NEWS_V2);
  into.adopted = (await client.upgradeWorkflow('news', { version: '2.0.0', running: true })).adopted;
  into.backfilled = (await client.upgradeWorkflow('news', { version: '2.0.0', backfill: true })).backfilled;
}

/** The honest operator holding the most work (the liar has a story of its own). */
function pickBusiest(network: LocalNetwork, events: CortenEvent[], spare?: string) {
  const active = new Map<string, number>();
  for (const e of events) {
    if (e.type === 'task.assigned' || e.type === 'task.reassigned')
      active.set(e.operatorId!, (active.get(e.operatorId!) ?? 0) + 1);
    if (e.type === 'result.received') active.set(e.operatorId!, (active.get(e.operatorId!) ?? 0) - 1);
  }
  const alive = network.operators.filter((o) => o.running && o.operatorId !== spare);
  return alive.sort((x, y) => (active.get(y.operatorId) ?? 0) - (active.get(x.operatorId) ?? 0))[0];
}

function report(
  say: (line: string) => void,
  events: CortenEvent[],
  settled: Map<string, 'verified' | 'failed'>,
  killed: { id: string; region: string; at: number } | null,
  total: number,
): void {
  const count = (type: string) => events.filter((e) => e.type === type).length;
  const verified = [...settled.values()].filter((s) => s === 'verified').length;
  say('\nwhat happened');
  if (killed) {
    const expired = events.filter((e) => e.type === 'assignment.expired' && e.operatorId === killed.id);
    const moved = events.filter(
      (e) =>
        e.type === 'task.reassigned' &&
        e.type === 'task.reassigned' &&
        (e.data as { replaces: { operatorId: string } }).replaces.operatorId === killed.id,
    );
    const offline = events.find((e) => e.type === 'operator.offline' && e.operatorId === killed.id);
    const lastMove = moved.length > 0 ? moved[moved.length - 1]!.ts : null;
    say(`  killed ${killed.id} (${killed.region}) with SIGKILL while it held work`);
    say(
      `  the coordinator saw it go offline ${offline ? `${offline.ts - killed.at} ms` : '?'} after the kill, expired ${expired.length} leases`,
    );
    say(
      `  and reassigned those tasks ${lastMove ? `within ${lastMove - killed.at} ms` : '(none were pending)'} to operators in other regions where possible`,
    );
  }
  printTable(
    ['tasks', 'verified', 'failed', 'lost', 'assignments', 'reassigned', 'escalated', 'dissenting results'],
    [
      [
        total,
        verified,
        settled.size - verified,
        total - settled.size,
        count('task.assigned') + count('task.reassigned'),
        count('task.reassigned'),
        count('task.escalated'),
        events
          .filter((e) => e.type === 'task.verified')
          .reduce((n, e) => n + (e.data as { dissenting: string[] }).dissenting.length, 0),
      ],
    ],
  );
  const byRegion = new Map<string, number>();
  for (const e of events)
    if (e.type === 'task.assigned' || e.type === 'task.reassigned') {
      const region = (e.data as { region: string }).region;
      byRegion.set(region, (byRegion.get(region) ?? 0) + 1);
    }
  say('assignments by region: ' + [...byRegion.entries()].map(([r, n]) => `${r} ${n}`).join(', '));
}

/** What the run cost and paid, from the ledger events; then the ledger and a receipt, verified. */
async function economics(
  say: (line: string) => void,
  events: CortenEvent[],
  admin: CortenClient,
  accountId: string,
  sampleTask: string,
  killed: { id: string } | null,
  liar: string | null,
): Promise<void> {
  const of = <T extends keyof EventMap>(type: T) =>
    events.filter((e) => e.type === type).map((e) => e.data as EventMap[T]);
  const sum = (xs: { amount: number }[]) => xs.reduce((n, x) => n + x.amount, 0);
  const escrowed = sum(of('ledger.escrowed'));
  const rewards = of('ledger.rewarded');
  const refunds = [...of('ledger.refunded'), ...of('ledger.released')];
  const slashes = of('ledger.slashed');
  const acct = await admin.getAccount(accountId);
  say('\neconomics');
  say(
    `  escrowed ${escrowed} credits for every step (price × quorum); paid ${sum(rewards)} in ${rewards.length} rewards to agreeing operators; refunded ${sum(refunds)}`,
  );
  say(`  developer balance ${acct.balance} of ${DEPOSIT} deposited, ${acct.escrow} still in escrow`);
  const earned = new Map<string, number>();
  for (const r of rewards) earned.set(r.operatorId, (earned.get(r.operatorId) ?? 0) + r.amount);
  const top = [...earned].sort((x, y) => y[1] - x[1]).slice(0, 3);
  say(`  top earners: ${top.map(([id, n]) => `${id} ${n}`).join(', ')}`);
  if (killed) {
    const own = slashes.filter((x) => x.operatorId === killed.id);
    say(
      `  the killed operator dropped leases (its fault: it vanished holding work), so it was slashed ${sum(own)} credits for ${own.length} expired leases (${[...new Set(own.map((x) => x.reason))].join(', ') || 'none expired'})`,
    );
  }
  if (liar) {
    const own = slashes.filter((x) => x.operatorId === liar);
    const suspended = events.some((e) => e.type === 'operator.suspended' && e.operatorId === liar);
    say(
      `  the liar ${liar} was outvoted on escalation and slashed ${sum(own)} credits for ${own.length} dissenting results${suspended ? ', then suspended' : ''}`,
    );
  }
  const others = slashes.filter((x) => x.operatorId !== killed?.id && x.operatorId !== liar);
  if (others.length > 0) say(`  other slashes: ${others.length} (${sum(others)} credits)`);
  const audit = verifyLedger(
    await admin.allLedgerEntries(),
    new Map(Object.entries((await admin.ledgerBalances()).balances)),
  );
  say(
    `  ledger: ${audit.entries} hash-chained entries, ${audit.ok ? 'verified' : `INVALID: ${audit.problems[0]}`} (every entry balances, nothing negative, value conserved); treasury holds ${audit.balances.get('treasury') ?? 0}`,
  );
  const receipt = await admin.getReceipt(sampleTask);
  const check = verifyReceipt(receipt);
  say(
    `  receipt ${receipt.id}: ${receipt.agreeing.length} operator signatures, ledger entries ${receipt.ledgerEntries.join(', ')}, ${check.ok ? 'verified offline' : `INVALID: ${check.problems[0]}`}`,
  );
}
