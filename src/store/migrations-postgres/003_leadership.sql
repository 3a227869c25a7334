-- Several coordinators on one database: the leader lease that makes one of them the engine's single
-- writer, and the inbox where any coordinator leaves submissions for the leader to take in.

-- One row per shard of the single writer (today one: 'main'): who holds it and until when.
-- Renewals update this row only, so they never wait behind the leader's own commits.
CREATE TABLE leader_lease (
  shard      TEXT PRIMARY KEY,           -- which part of the work the lease covers: 'main'
  epoch      BIGINT NOT NULL,            -- bumped by every takeover; the fencing token of the leader's commits
  holder     TEXT NOT NULL,              -- the holding coordinator's instance id
  url        TEXT NOT NULL,              -- where the holder serves operators and the API
  expires_at TIMESTAMPTZ NOT NULL,       -- by the database's clock; renewed well before
  renewed_at TIMESTAMPTZ NOT NULL
);

-- The fence: the epoch of each shard's current holder. Every commit of a leader reads its row
-- FOR SHARE in the same transaction and writes only when it holds its own epoch; a takeover sets
-- the new epoch here, so it waits for a commit in flight and every later commit of the old
-- holder is refused.
CREATE TABLE leader_epoch (
  shard TEXT PRIMARY KEY,  -- as in leader_lease
  epoch BIGINT NOT NULL    -- the holder's epoch, set at each takeover
);

-- Submissions a coordinator accepted while it was not the leader (or no leader was up). Durable
-- once the row is committed; the leader takes them in, in id order, and deletes each row in the
-- same transaction that creates its tasks.
CREATE TABLE inbox (
  id          BIGSERIAL PRIMARY KEY,
  eu_id       TEXT NOT NULL,
  owner       TEXT NOT NULL,     -- who owns the tasks it makes
  account_id  TEXT,              -- the paying account, when priced (followers take in free EUs only today)
  inputs      TEXT NOT NULL,     -- JSON [{text, hash}]
  task_ids    TEXT NOT NULL,     -- JSON [id]: the ids promised to the submitter
  received_at BIGINT NOT NULL,
  received_by TEXT NOT NULL      -- the coordinator that accepted it
);
