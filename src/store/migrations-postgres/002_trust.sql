-- corten trust and economics on PostgreSQL: developer accounts, the hash-chained ledger and its
-- balances, pending stake withdrawals, operator reputation (SQLite's 002).

-- Developer accounts; a request carrying the account's API key spends its balance.
CREATE TABLE accounts (
  id         TEXT PRIMARY KEY,     -- acct_<16 hex>
  name       TEXT NOT NULL,        -- a label for people
  key_hash   TEXT NOT NULL UNIQUE, -- sha256 of the API key; the key itself is shown once and never stored
  created_at BIGINT NOT NULL
);

-- The ledger: append-only, double-entry, hash-chained. Never updated, never deleted.
CREATE TABLE ledger_entries (
  seq       BIGINT PRIMARY KEY,   -- position in the chain, from 1, without gaps
  id        TEXT NOT NULL UNIQUE, -- le_<seq>, cited by events and receipts
  ts        BIGINT NOT NULL,      -- coordinator clock, ms
  kind      TEXT NOT NULL,        -- deposit | escrow | settlement | unbond | withdrawal
  postings  TEXT NOT NULL,        -- JSON [{account, amount, reason, taskId?, operatorId?}], amounts sum to 0
  prev_hash TEXT NOT NULL,        -- hash of the entry before (64 zeros for the first)
  hash      TEXT NOT NULL         -- sha256 of the canonical entry without this field
);

-- Every account's balance after the last entry; `corten ledger verify` recomputes them from the entries.
CREATE TABLE ledger_balances (
  account    TEXT PRIMARY KEY,  -- dev:<acct> | escrow:<acct> | stake:<op> | earn:<op> | unbond:<op> | treasury | external
  balance    BIGINT NOT NULL,   -- credits; only external may be negative
  updated_at BIGINT NOT NULL
);

-- Which ledger entries moved value for a task (settlements and slashes), for its receipt.
CREATE TABLE ledger_task_refs (
  task_id  TEXT NOT NULL,  -- the task
  entry_id TEXT NOT NULL,  -- le_<seq>
  PRIMARY KEY (task_id, entry_id)
);

-- Who pays for a priced task, and the entry that escrowed its price; free tasks have no row.
CREATE TABLE task_accounts (
  task_id      TEXT PRIMARY KEY,  -- the task
  account_id   TEXT NOT NULL,     -- the developer account paying
  escrow       BIGINT NOT NULL,   -- credits escrowed for it: price x quorum
  escrow_entry TEXT NOT NULL      -- the ledger entry that escrowed it
);

-- Stake an operator asked to withdraw: paid out when available_at passes, slashable until then.
CREATE TABLE withdrawals (
  id            TEXT PRIMARY KEY,  -- wd_<…>
  operator_id   TEXT NOT NULL,
  amount        BIGINT NOT NULL,   -- credits requested
  requested_at  BIGINT NOT NULL,
  available_at  BIGINT NOT NULL,   -- end of the unbonding period
  request_entry TEXT NOT NULL,     -- the entry that moved stake to unbonding
  paid_entry    TEXT,              -- the entry that paid it out; NULL while pending
  paid_amount   BIGINT             -- credits paid (less than amount when slashed meanwhile)
);
CREATE INDEX withdrawals_pending ON withdrawals (available_at) WHERE paid_entry IS NULL;

-- Operator reputation, written at most once a second per operator (and at once on a dissent).
CREATE TABLE operator_reputation (
  operator_id TEXT PRIMARY KEY,
  streak      INTEGER NOT NULL,  -- consecutive agreeing checked results (adaptive replication's trust)
  figures     TEXT NOT NULL,     -- the time-decayed figures, JSON (see coordinator/reputation)
  updated_at  BIGINT NOT NULL
);
