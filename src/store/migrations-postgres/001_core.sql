-- corten core schema on PostgreSQL: EUs, tasks, assignments, operators, regions, the event log.
-- The same tables as SQLite's 001-005 in one step. Times are ms since the epoch (coordinator clock),
-- BIGINT read back as numbers; JSON is stored as TEXT, exactly as written, so both backends return
-- the same text.

-- Key/value facts about the network: the coordinator identity key, when it was last alive.
CREATE TABLE meta (
  key   TEXT PRIMARY KEY,
  value TEXT NOT NULL
);

-- Published Execution Units; immutable, content-addressed.
CREATE TABLE eus (
  id           TEXT PRIMARY KEY,  -- eu_<sha256 of canonical manifest + files>
  name         TEXT NOT NULL,     -- manifest.name
  version      TEXT NOT NULL,     -- manifest.version (semver)
  manifest     TEXT NOT NULL,     -- the normalised manifest, JSON
  files        TEXT NOT NULL,     -- {path: source}, JSON
  published_at BIGINT NOT NULL,
  owner        TEXT NOT NULL DEFAULT 'network',  -- who owns the name: its first publisher
  UNIQUE (name, version)
);

-- One step of one job: an EU and its input. The unit of scheduling, verification and payment.
CREATE TABLE tasks (
  id                   TEXT PRIMARY KEY,
  eu_id                TEXT NOT NULL REFERENCES eus (id),
  status               TEXT NOT NULL,     -- pending | running | verifying | escalated | verified | failed
  input                TEXT NOT NULL,     -- the input, JSON
  input_hash           TEXT NOT NULL,     -- sha256 of the canonical input
  seed                 TEXT NOT NULL,     -- Math.random seed every replica gets
  clock                BIGINT NOT NULL,   -- the clock every replica sees
  quorum               INTEGER NOT NULL,  -- agreeing outputs needed for a verdict
  max_replicas         INTEGER NOT NULL,  -- most results the task may gather
  replicas             INTEGER NOT NULL,  -- results wanted now (grows on escalation)
  attempts             INTEGER NOT NULL,  -- assignments made so far; the next lease's fencing token is attempts + 1
  output_hash          TEXT,              -- accepted output's hash, once verified
  result_assignment_id TEXT,              -- an agreeing assignment holding the accepted output
  failure              TEXT,              -- why it failed: unverifiable | attempts_exhausted | eu_error | no_operator
  failure_message      TEXT,
  submitted_at         BIGINT NOT NULL,
  updated_at           BIGINT NOT NULL,
  finished_at          BIGINT,
  owner                TEXT NOT NULL DEFAULT 'network'  -- the submitting account, 'anonymous' or 'network'
);
CREATE INDEX tasks_open ON tasks (submitted_at) WHERE status NOT IN ('verified', 'failed');
CREATE INDEX tasks_eu ON tasks (eu_id, submitted_at);
CREATE INDEX tasks_owner ON tasks (owner, submitted_at, id);
CREATE INDEX tasks_paged ON tasks (submitted_at, id);

-- One attempt of a task on one operator, held under a lease.
CREATE TABLE assignments (
  id               TEXT PRIMARY KEY,
  task_id          TEXT NOT NULL REFERENCES tasks (id),
  operator_id      TEXT NOT NULL,
  attempt          INTEGER NOT NULL,  -- fencing token: a result must carry it
  status           TEXT NOT NULL,     -- leased | submitted | accepted | rejected | expired | released | cancelled
  leased_at        BIGINT NOT NULL,
  lease_expires_at BIGINT NOT NULL,   -- deadline; shifted forward by coordinator downtime at restart or takeover
  finished_at      BIGINT,            -- when the result arrived or the lease ended
  output           TEXT,              -- the returned output, JSON (null for an error result)
  output_hash      TEXT,              -- sha256 of the canonical output (or of the error)
  error_code       TEXT,              -- set when the execution failed inside the EU
  signature        TEXT,              -- the operator's Ed25519 signature of the result statement
  signature_proof  TEXT,              -- Merkle path to the signed root, JSON; NULL when signed alone
  duration_ms      DOUBLE PRECISION,  -- execution time reported by the operator
  cpu_ms           DOUBLE PRECISION,  -- cpu time reported by the operator
  memory_mb        DOUBLE PRECISION,  -- peak memory reported by the operator
  end_reason       TEXT,              -- why the lease ended without a result (expiry reason, release, cancel)
  UNIQUE (task_id, attempt)
);

-- Machines that have connected at least once.
CREATE TABLE operators (
  id             TEXT PRIMARY KEY,  -- op_<hash of public key>
  public_key     TEXT NOT NULL UNIQUE,
  region         TEXT NOT NULL,
  status         TEXT NOT NULL,     -- joining | online | degraded | draining | offline | suspended
  resources      TEXT NOT NULL,     -- declared cpu, memory, gpu, capabilities, EUs served; JSON
  max_concurrent INTEGER NOT NULL,
  first_seen_at  BIGINT NOT NULL,
  last_seen_at   BIGINT NOT NULL,
  status_reason  TEXT
);
CREATE INDEX operators_region ON operators (region);

-- Regions marked down (by an admin or by their failures); absent means up.
CREATE TABLE regions (
  name       TEXT PRIMARY KEY,
  down       INTEGER NOT NULL,  -- 1 when the scheduler must avoid the region
  source     TEXT NOT NULL,     -- admin | failures
  reason     TEXT NOT NULL,
  changed_at BIGINT NOT NULL
);

-- The event log: every state change, in commit order. seq comes from event_seq, never from a
-- sequence object: a rolled-back commit must not spend numbers, and readers by seq must never
-- see a later number before an earlier one.
CREATE TABLE events (
  seq         BIGINT PRIMARY KEY,
  type        TEXT NOT NULL,
  ts          BIGINT NOT NULL,
  task_id     TEXT,
  operator_id TEXT,
  owner       TEXT,          -- who may read it: an owner, 'network', or NULL (public)
  data        TEXT NOT NULL  -- JSON
);
CREATE INDEX events_task ON events (task_id, seq) WHERE task_id IS NOT NULL;
CREATE INDEX events_operator ON events (operator_id, seq) WHERE operator_id IS NOT NULL;
CREATE INDEX events_type ON events (type, seq);

-- The last event seq handed out. One row; a commit with events locks it, so commits number their
-- events in commit order and a reader by seq sees them without holes.
CREATE TABLE event_seq (
  one  BOOLEAN PRIMARY KEY DEFAULT TRUE CHECK (one),
  seq  BIGINT NOT NULL  -- the highest seq committed
);
INSERT INTO event_seq (one, seq) VALUES (TRUE, 0);
