/**
 * `corten demo`: the main job, end to end on one machine. A coordinator and a
 * dozen operators in three regions summarize and score news articles with
 * verification (quorum 2); a quarter of the way in, the busiest operator is
 * killed with SIGKILL. The demo prints what the network did about it, and
 * what it cost: a developer account pays for the work from a deposit,
 * operators stake to take part and earn rewards, the killed operator is
 * slashed for the leases it dropped, and the ledger and a receipt are
 * verified at the end.
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
  tasks: number;
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
      'run a local network (a coordinator, a dozen operators in 3 regions), kill an operator mid-run, and report',
    )
    .option('--operators <n>', 'operators, spread over 3 regions', intOption, 12)
    .option('--tasks <n>', 'tasks to run (news summaries and sentiment)', intOption, 200)
    .option('--keep', 'keep the data folder and logs afterwards')
    .action(async (opts: DemoOptions) => runDemo(opts));
}

async function runDemo(opts: DemoOptions): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'corten-demo-'));
  // Anonymous use on, as a local playground may have it: free EUs run without a key.
  const network = new LocalNetwork({ dir, minStake: MIN_STAKE, operatorStake: OPERATOR_STAKE, allowAnonymous: true });
  const say = (line: string) => process.stdout.write(`${line}\n`);
  try {
    const url = await network.startCoordinator();
    say(`coordinator up at ${url} (data in ${dir})`);
    const specs = Array.from({ length: opts.operators }, (_, i) => ({
      region: REGIONS[i % REGIONS.length]!,
      maxConcurrent: 2,
      workers: 1,
    }));
    const operators = await network.startOperators(specs);
    say(
      `${operators.length} operators online: ${REGIONS.map((r) => `${operators.filter((o) => o.region === r).length} in ${r}`).join(', ')}; each staked ${OPERATOR_STAKE} credits (minimum ${MIN_STAKE})`,
    );
    const admin = network.admin();
    const account = await admin.createAccount('demo newsroom');
    await admin.deposit(account.id, DEPOSIT);
    say(`developer account ${account.id} created with a deposit of ${DEPOSIT} credits`);

    const articles = readFileSync(join(packageRoot(), 'examples', 'articles.jsonl'), 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as { title: string; text: string });
    const summaries = Math.round(opts.tasks * 0.75);
    const summaryInputs = Array.from({ length: summaries }, (_, i) => ({
      ...articles[i % articles.length]!,
      sentences: 2 + (Math.floor(i / articles.length) % 4),
    }));
    const sentimentInputs = Array.from({ length: opts.tasks - summaries }, (_, i) => ({
      text: articles[i % articles.length]!.text.split('\n')
        .slice(0, 1 + (i % 6))
        .join('\n'),
    }));

    const client = new CortenClient(url, { apiKey: account.apiKey });
    const events: CortenEvent[] = [];
    // The admin's view: the whole network's story, the stake and slashes of every operator included.
    const stream = admin.stream({ after: 0 }, (e) => events.push(e));
    await stream.ready;
    const a = await client.submitTasks('news-summarize', summaryInputs);
    const b = await client.submitTasks('sentiment', sentimentInputs);
    const taskIds = [...a.taskIds, ...b.taskIds];
    say(
      `submitted ${summaries} news-summarize and ${sentimentInputs.length} sentiment tasks (quorum 2, replicas in distinct regions)`,
    );

    let killed: { id: string; region: string; at: number } | null = null;
    const bar = progressBar('settled', taskIds.length);
    const settled = await client.waitForTasks(taskIds, {
      after: a.after,
      onProgress: (n) => {
        bar.update(n);
        if (!killed && n >= taskIds.length / 4) {
          const victim = pickBusiest(network, events);
          if (victim) {
            killed = { id: victim.operatorId, region: victim.region, at: Date.now() };
            victim.child.kill('SIGKILL');
          }
        }
      },
    });
    bar.stop();
    stream.close();
    report(say, events, settled, killed, taskIds.length);

    const sample = await client.getTask(a.taskIds[0]!);
    const output = sample.verdict?.output as { summary?: string[] } | undefined;
    say(`\nsample: "${articles[0]!.title}"`);
    for (const sentence of output?.summary ?? []) say(`  - ${sentence}`);
    say(
      `  (verified by ${sample.assignments.filter((x) => x.status === 'accepted').length} operators, output ${sample.verdict?.outputHash.slice(0, 16)}…)`,
    );
    await economics(say, events, admin, account.id, a.taskIds[0]!, killed);
  } finally {
    await network.stop();
    if (opts.keep) say(`\ndata and logs kept in ${dir}`);
    else rmSync(dir, { recursive: true, force: true });
  }
}

function pickBusiest(network: LocalNetwork, events: CortenEvent[]) {
  const active = new Map<string, number>();
  for (const e of events) {
    if (e.type === 'task.assigned' || e.type === 'task.reassigned')
      active.set(e.operatorId!, (active.get(e.operatorId!) ?? 0) + 1);
    if (e.type === 'result.received') active.set(e.operatorId!, (active.get(e.operatorId!) ?? 0) - 1);
  }
  const alive = network.operators.filter((o) => o.running);
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
): Promise<void> {
  const of = <T extends keyof EventMap>(type: T) =>
    events.filter((e) => e.type === type).map((e) => e.data as EventMap[T]);
  const sum = (xs: { amount: number }[]) => xs.reduce((n, x) => n + x.amount, 0);
  const escrowed = sum(of('ledger.escrowed'));
  const rewards = of('ledger.rewarded');
  const refunds = of('ledger.refunded');
  const slashes = of('ledger.slashed');
  const acct = await admin.getAccount(accountId);
  say('\neconomics');
  say(
    `  escrowed ${escrowed} credits at submission (price × quorum); paid ${sum(rewards)} in ${rewards.length} rewards to agreeing operators; refunded ${sum(refunds)}`,
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
  const others = slashes.filter((x) => x.operatorId !== killed?.id);
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
