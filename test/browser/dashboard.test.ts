/**
 * The dashboard in a real browser against a real network: it shows a lease expiring and
 * the task moving to another operator as it happens, the dead operator offline, and each
 * sign-in only its own work.
 */
import { describe, expect, it } from 'vitest';
import { CortenClient } from '../../src/client/index.js';
import { inputs, spinEu } from '../fixtures/eus.js';
import { incEu } from '../fixtures/workflows.js';
import { startNetwork } from '../helpers/network.js';
import { screenshot, signedIn, useBrowser } from './browser.js';

/** Enough work that the first operator is still running it when it is killed (seconds, not ms). */
const ITERATIONS = 15_000_000;

describe('dashboard', () => {
  const chrome = useBrowser();

  it('shows the expiry and the reassignment of a task live when its operator is killed, and the operator offline', async () => {
    // Staked operators and a priced EU paid by an account, so the economics move: escrow, reward, a slash.
    const { network, client, log } = await startNetwork(
      'dashboard-kill',
      [{ region: 'eu-west' }, { region: 'us-east' }],
      { minStake: 10 },
    );
    await client.publishEu(spinEu({ quorum: 1, maxReplicas: 3, price: 2, iterations: ITERATIONS, timeoutMs: 60_000 }));
    const developer = await client.createAccount('developer');
    await client.deposit(developer.id, 100);
    const asDeveloper = new CortenClient(network.url, { apiKey: developer.apiKey });
    const page = await signedIn(chrome.browser, network.url, network.adminToken);
    await expect(page.textContent('[data-testid=who]')).resolves.toContain('admin');
    await page.waitForSelector('[data-testid=live-state]:has-text("live")');

    const {
      taskIds: [taskId],
    } = await asDeveloper.submitTasks('spin', inputs(1));
    const assigned = await log.waitFor((e) => e.type === 'task.assigned' && e.taskId === taskId, 'assignment');
    await page.goto(`${network.url}/#/tasks/${taskId}`);
    const first = `[data-testid=assignments] tr[data-operator="${assigned.operatorId}"]`;
    await page.waitForSelector(`${first}[data-status=leased]`);

    const victim = network.operators.find((o) => o.operatorId === assigned.operatorId)!;
    const survivor = network.operators.find((o) => o.operatorId !== assigned.operatorId)!;
    await victim.kill('SIGKILL');

    // Without a reload: the stream brings the expiry and the new assignment.
    await page.waitForSelector(`${first}[data-status=expired]`);
    // A figure for the record, never asserted: from the coordinator recording it to the page showing it (one clock).
    const expired = await log.waitFor((e) => e.type === 'assignment.expired' && e.taskId === taskId, 'expiry');
    console.log(`dashboard: expiry shown ${Date.now() - expired.ts} ms after the coordinator recorded it`);
    // The expiry and the move to another operator can come in separate renders: wait for each, then read.
    await page.waitForSelector(`${first}:has-text("operator_offline")`);
    await page.waitForSelector(`${first} [data-testid=moved-to]:has-text("${survivor.region}")`);
    const moved = await page.textContent(`${first} [data-testid=moved-to]`);
    expect(moved).toContain(survivor.operatorId.slice(0, 18));
    expect(moved).toContain(survivor.region);
    await page.waitForSelector(`[data-testid=assignments] tr[data-operator="${survivor.operatorId}"]`);
    await page.waitForSelector('[data-testid=task-events] tr[data-type="task.reassigned"]');
    const reassigned = log.of('task.reassigned').find((e) => e.taskId === taskId);
    expect(reassigned?.data.replaces.operatorId).toBe(victim.operatorId);
    await screenshot(page, 'task-detail-reassigned');

    await page.click('a[data-view=operators]');
    await page.waitForSelector(`tr[data-operator="${victim.operatorId}"][data-status=offline]`);
    await page.waitForSelector(`tr[data-operator="${survivor.operatorId}"][data-status=online]`);

    // The verdict arrives live too, with its receipt.
    await page.goto(`${network.url}/#/tasks/${taskId}`);
    await page.waitForSelector('[data-testid=task-status]:has-text("verified")', { timeout: 90_000 });
    await page.waitForSelector('[data-testid=receipt]');
    await screenshot(page, 'task-detail');

    // Earnings and slashes come from the coordinator, not from the events a page happened to load:
    // after a reload they are still there, and they are the ledger's.
    await page.click('a[data-view=operators]');
    await page.reload();
    const row = (op: { operatorId: string }) => `tr[data-operator="${op.operatorId}"]`;
    await page.waitForSelector(`${row(survivor)} [data-testid=operator-earned]`);
    const { balances } = await client.ledgerBalances();
    const earned = balances[`earn:${survivor.operatorId}`];
    expect(earned).toBe(2);
    expect(await page.textContent(`${row(survivor)} [data-testid=operator-earned]`)).toBe(String(earned));
    const slashed = log.of('ledger.slashed').filter((e) => e.operatorId === victim.operatorId);
    expect(slashed.length).toBeGreaterThan(0);
    expect(await page.textContent(`${row(victim)} [data-testid=operator-slashed]`)).toContain(
      String(slashed.reduce((sum, e) => sum + e.data.amount, 0)),
    );
    // The reputation chart starts from the coordinator's history, not empty.
    await expect
      .poll(async () => Number(await page.getAttribute('[data-testid=reputation-history]', 'data-history-points')), {
        timeout: 10_000,
      })
      .toBeGreaterThanOrEqual(2);
    await screenshot(page, 'operators');

    await page.click('a[data-view=overview]');
    await page.waitForSelector('[data-testid=tasks-by-status] td[data-status=verified]:has-text("1")');
    await page.waitForSelector('[data-testid=recent-faults] td:has-text("assignment.expired")');
    await page.waitForSelector('[data-testid=regions] td[data-region=eu-west]');
    await screenshot(page, 'overview');

    await page.click('a[data-view=events]');
    await page.fill('input[name=types]', 'task.');
    await page.waitForSelector('[data-testid=events] tr[data-type="task.reassigned"]');
    expect(await page.locator('[data-testid=events] tr[data-type="operator.online"]').count()).toBe(0);
    await screenshot(page, 'events');

    await page.click('a[data-view=economics]');
    await page.waitForSelector('[data-testid=economics-rewards] .big:has-text("2")');
    await page.waitForSelector('[data-testid=economics-chart]');
    await screenshot(page, 'economics');

    // A two-step job: the list links it, and its page lays the steps out as the workflow's DAG.
    await asDeveloper.publishEu(incEu());
    await asDeveloper.publishWorkflow({
      name: 'chain',
      version: '1.0.0',
      steps: [
        { id: 'first', eu: 'inc@^1', input: { n: '/input/n' } },
        { id: 'second', eu: 'inc@^1', input: { n: '/steps/first/n' } },
      ],
    });
    const {
      jobIds: [jobId],
    } = await asDeveloper.submitJobs('chain', [{ n: 1 }]);
    expect(await asDeveloper.waitForJobs([jobId!])).toEqual(new Map([[jobId, 'completed']]));
    await page.click('a[data-view=jobs]');
    await page.click(`[data-testid=job-list] a[href="#/jobs/${jobId}"]`);
    await page.waitForSelector('[data-testid=step-second] .status.verified');
    // The edges come from the workflow document, which loads after the job: wait for them to render.
    await page.waitForSelector('[data-testid=step-second]:has-text("after first")');
    await screenshot(page, 'jobs');

    // A job whose step no online operator can run: it shows waiting with the reason, then is cancelled from its page.
    await asDeveloper.publishEu(incEu({ name: 'flag', capabilities: ['nobody.has.this'] }));
    await asDeveloper.publishWorkflow({
      name: 'stuck',
      version: '1.0.0',
      steps: [{ id: 'only', eu: 'flag@^1', input: { n: '/input/n' } }],
    });
    const {
      jobIds: [stuck],
    } = await asDeveloper.submitJobs('stuck', [{ n: 1 }]);
    await page.goto(`${network.url}/#/jobs/${stuck}`);
    await page.waitForSelector('[data-testid=step-only]:has-text("no_capable_operator")');
    await page.click('[data-testid=job-cancel]');
    await page.waitForSelector('[data-testid=job-detail] h2 .status.cancelled');
    expect((await asDeveloper.getJob(stuck!)).status).toBe('cancelled');

    await page.click('a[data-view=tasks]');
    await page.waitForSelector(`[data-testid=task-list] tr[data-task="${taskId}"]`);
    await screenshot(page, 'tasks');
  });

  it("shows an account only its own tasks, and another's task as missing", async () => {
    const { network, client, log } = await startNetwork('dashboard-scope', [{ region: 'eu-west' }]);
    await client.publishEu(spinEu({ quorum: 1, iterations: 1000 }));
    const alice = await client.createAccount('alice');
    const bob = await client.createAccount('bob');
    const asAlice = new CortenClient(network.url, { apiKey: alice.apiKey });
    const {
      taskIds: [mine],
    } = await asAlice.submitTasks('spin', inputs(1));
    const {
      taskIds: [admins],
    } = await client.submitTasks('spin', inputs(1, 5));
    await log.waitForSettled([mine!, admins!]);

    const alicePage = await signedIn(chrome.browser, network.url, alice.apiKey);
    await expect(alicePage.textContent('[data-testid=who]')).resolves.toContain('alice');
    await alicePage.click('a[data-view=tasks]');
    await alicePage.waitForSelector(`[data-testid=task-list] tr[data-task="${mine}"]`);
    expect(await alicePage.locator('[data-testid=task-list] tr[data-task]').count()).toBe(1);
    // Bulk actions answer per task: a verified task neither retries nor cancels.
    await alicePage.check(`[data-testid=task-list] tr[data-task="${mine}"] input[type=checkbox]`);
    await alicePage.click('[data-testid=bulk-retry]');
    await alicePage.waitForSelector('[data-testid=bulk-outcome]:has-text("TASK_NOT_FAILED")');
    await alicePage.check(`[data-testid=task-list] tr[data-task="${mine}"] input[type=checkbox]`);
    await alicePage.click('[data-testid=bulk-cancel]');
    await alicePage.waitForSelector('[data-testid=bulk-outcome]:has-text("TASK_FINISHED")');
    await alicePage.click('a[data-view=overview]');
    await alicePage.waitForSelector('[data-testid=tasks-by-status] td[data-status=verified]:has-text("1")');

    const bobPage = await signedIn(chrome.browser, network.url, bob.apiKey);
    await bobPage.click('a[data-view=tasks]');
    await bobPage.waitForSelector('[data-testid=no-tasks]');
    await bobPage.goto(`${network.url}/#/tasks/${mine}`);
    await expect(bobPage.textContent('[data-testid=task-error]')).resolves.toContain('No such task');
    // Nothing of Alice's or the admin's reached Bob's page: not in the events it was sent, not on screen.
    await bobPage.click('a[data-view=events]');
    await bobPage.waitForSelector('[data-testid=events]');
    const bobText = (await bobPage.textContent('body')) ?? '';
    expect(bobText).not.toContain(mine!.slice(0, 18));
    expect(bobText).not.toContain(admins!.slice(0, 18));

    // A wrong credential is refused with the API's message, and nothing is shown.
    const context = await chrome.browser.newContext();
    const stranger = await context.newPage();
    await stranger.goto(network.url);
    await stranger.fill('#credential', 'ck_not_a_key');
    await stranger.click('button[type=submit]');
    await expect(stranger.textContent('[role=alert]')).resolves.toContain('UNAUTHORIZED');
    expect(await stranger.locator('[data-testid=who]').count()).toBe(0);
    await screenshot(stranger, 'sign-in');
  });
});
