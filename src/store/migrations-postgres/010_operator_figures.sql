-- The operators view's figures served by the coordinator: running totals of what each operator
-- earned and lost (so the table never sums the ledger), and a bounded history of its standing
-- (so the reputation charts start with the past, not empty on each page load).

-- Per operator, everything it was ever rewarded and slashed: written with the balances, once per
-- turn that moved them, in that turn's transaction, so it never disagrees with the ledger.
CREATE TABLE operator_totals (
  operator_id TEXT PRIMARY KEY,
  earned      BIGINT NOT NULL,  -- credits rewarded, ever (withdrawals do not lower it)
  slashed     BIGINT NOT NULL,  -- credits slashed, ever, from stake and unbonding stake
  slashes     BIGINT NOT NULL,  -- how many slashes (ledger.slashed events)
  updated_at  BIGINT NOT NULL
);
-- Networks older than this table: the totals their events state.
INSERT INTO operator_totals (operator_id, earned, slashed, slashes, updated_at)
SELECT operator_id,
       SUM(CASE WHEN type = 'ledger.rewarded' THEN (data::jsonb ->> 'amount')::bigint ELSE 0 END),
       SUM(CASE WHEN type = 'ledger.slashed' THEN (data::jsonb ->> 'amount')::bigint ELSE 0 END),
       SUM(CASE WHEN type = 'ledger.slashed' THEN 1 ELSE 0 END),
       MAX(ts)
FROM events
WHERE type IN ('ledger.rewarded', 'ledger.slashed') AND operator_id IS NOT NULL
GROUP BY operator_id;

-- An operator's standing over time: a row when its figures changed, at most one a minute per
-- operator, pruned after a day (reputation/reputation-history.ts): at most 1,441 rows an operator.
CREATE TABLE operator_history (
  operator_id      TEXT NOT NULL,
  ts               BIGINT NOT NULL,           -- coordinator clock, ms
  score            DOUBLE PRECISION NOT NULL, -- the scheduler's score (health-policy.ts)
  uptime           DOUBLE PRECISION NOT NULL, -- decayed share of heartbeats on time, 0..1
  agreement        DOUBLE PRECISION NOT NULL, -- decayed share of checked results that agreed, 0..1
  lease_completion DOUBLE PRECISION NOT NULL, -- decayed share of leases completed, 0..1
  stake            BIGINT NOT NULL,           -- bonded stake, credits
  status           TEXT NOT NULL,             -- online | degraded | draining | suspended | offline (not connected)
  PRIMARY KEY (operator_id, ts)
);
-- The prune (every minute) reads old rows by time alone.
CREATE INDEX operator_history_ts ON operator_history (ts);
