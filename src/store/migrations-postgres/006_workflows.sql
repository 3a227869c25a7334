-- Workflows and jobs on PostgreSQL (SQLite's 008; coordinator/workflows/): immutable workflow versions, one job per run of
-- one version on one input, the state of each of its steps, and the tasks each step created.

-- Published workflow versions; immutable, content-addressed.
CREATE TABLE workflows (
  id           TEXT PRIMARY KEY,  -- wf_<sha256 of the canonical document>
  name         TEXT NOT NULL,     -- document.name
  version      TEXT NOT NULL,     -- document.version (semver)
  document     TEXT NOT NULL,     -- the validated document, JSON
  owner        TEXT NOT NULL,     -- who owns the name: its first publisher (an account id or 'network')
  published_at BIGINT NOT NULL,
  UNIQUE (name, version)
);

-- One run of one workflow version on one input.
CREATE TABLE jobs (
  id           TEXT PRIMARY KEY,  -- j_<time><random>
  workflow_id  TEXT NOT NULL REFERENCES workflows (id),  -- the version it runs (changes when it adopts another)
  name         TEXT NOT NULL,     -- the workflow's name, for lists by name across versions
  owner        TEXT NOT NULL,     -- the submitting account, 'anonymous' or 'network'
  account_id   TEXT,              -- who pays for its priced steps; NULL when nothing it runs is priced
  status       TEXT NOT NULL,     -- running | completed | failed | cancelled
  input        TEXT NOT NULL,     -- the job's input, JSON
  reserved     BIGINT NOT NULL,  -- credits still held in escrow for steps whose tasks do not exist yet
  escrow_entry TEXT,              -- the ledger entry that last reserved escrow for it (its tasks' escrow entry)
  failure      TEXT,              -- why it failed: the failing step and its task's failure
  submitted_at BIGINT NOT NULL,
  updated_at   BIGINT NOT NULL,
  finished_at  BIGINT
);
CREATE INDEX jobs_open ON jobs (submitted_at) WHERE status = 'running';
CREATE INDEX jobs_name ON jobs (name, status, submitted_at, id);
CREATE INDEX jobs_owner ON jobs (owner, submitted_at, id);

-- The state of one step of one job.
CREATE TABLE job_steps (
  job_id     TEXT NOT NULL REFERENCES jobs (id),
  step_id    TEXT NOT NULL,     -- the step's id in the document
  status     TEXT NOT NULL,     -- pending | ready | waiting | running | verified | failed | skipped | cancelled
  eu_id      TEXT,              -- the EU its tasks were created with (resolved from the step's range then)
  tasks      INTEGER NOT NULL,  -- tasks created for it (a map step: one per element)
  output     TEXT,              -- the step's output once verified, JSON (a map step: the array of outputs)
  reason     TEXT,              -- why it waits, failed or was skipped
  updated_at BIGINT NOT NULL,
  PRIMARY KEY (job_id, step_id)
);

-- The tasks a step created. The key (job, step, index) is the idempotency key: a step's task is
-- created once, even across a crash and a recovery.
CREATE TABLE job_tasks (
  job_id  TEXT NOT NULL REFERENCES jobs (id),
  step_id TEXT NOT NULL,
  idx     INTEGER NOT NULL,     -- position in a map step's array; 0 otherwise
  task_id TEXT NOT NULL UNIQUE REFERENCES tasks (id),
  PRIMARY KEY (job_id, step_id, idx)
);
