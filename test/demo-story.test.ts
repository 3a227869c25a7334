/**
 * The demo's story as a test, with 300 jobs, real processes: `corten demo`
 * runs a news workflow over the bundled articles in three regions, kills the
 * busiest operator mid-run, catches a liar by escalation, adds a sentiment
 * step mid-run that running jobs adopt and finished jobs are backfilled with,
 * run only by the operators serving it; every job completes and the ledger
 * and a receipt verify. The test reads the demo's own report.
 */
import { describe, expect, it } from 'vitest';
import { runCli } from './helpers/cli.js';

const JOBS = 300;

describe('the demo story', () => {
  it(
    `runs ${JOBS} news jobs through a kill, a liar and a new step, and verifies the ledger`,
    { timeout: 600_000 },
    async () => {
      const { code, stdout, stderr } = await runCli(['demo', '--jobs', String(JOBS)]);
      expect(code, stderr).toBe(0);
      expect(stdout).toMatch(/killed op_\w+ \(\S+\) with SIGKILL while it held work/);
      expect(stdout).toMatch(/reassigned those tasks within \d+ ms/);
      // Every job finished: completed, or failed only where the EU itself ran out of time on a busy machine.
      const jobs = /jobs: (\d+) of (\d+) completed(?:; failed: (.*))?/.exec(stdout);
      expect(jobs).not.toBeNull();
      const failed = (jobs![3] ?? '').split(', ').filter(Boolean);
      for (const f of failed) expect(f).toMatch(/^\d+ eu_resource_exceeded$/);
      const failedJobs = failed.reduce((n, f) => n + Number(f.split(' ')[0]), 0);
      expect(Number(jobs![1]) + failedJobs).toBe(JOBS);
      expect(failedJobs).toBeLessThan(JOBS / 20);
      const grown = /(\d+) running jobs adopted it, (\d+) finished jobs were backfilled/.exec(stdout);
      expect(grown).not.toBeNull();
      // Every job still there to grow took the new step: all but those that had failed before it.
      expect(Number(grown![1]) + Number(grown![2])).toBeGreaterThanOrEqual(JOBS - failedJobs);
      expect(stdout).toMatch(
        /\d+ sentiment tasks ran on \d+ operators, all of them among the \d+ that serve sentiment: yes/,
      );
      expect(stdout).toMatch(/the liar op_\w+ was outvoted on escalation and slashed [1-9]\d* credits/);
      expect(stdout).toMatch(/0 still in escrow/);
      expect(stdout).toMatch(/ledger: \d+ hash-chained entries, verified/);
      expect(stdout).toMatch(/receipt rc_\S+: 2 operator signatures, .* verified offline/);
    },
  );
});
