-- Webhooks on PostgreSQL (SQLite's 006): alerts an operator's owner registers (went offline, came back, a lease expired, slashed,
-- suspended, reputation degraded, earnings paid), the deliveries owed to them, and every attempt.

-- One receiver of one operator's alerts.
CREATE TABLE webhooks (
  id          TEXT PRIMARY KEY,  -- wh_<…>
  operator_id TEXT NOT NULL,     -- whose alerts
  url         TEXT NOT NULL,     -- where deliveries are POSTed (http or https, checked at registration)
  kinds       TEXT NOT NULL,     -- JSON array of the kinds it is told of
  description TEXT NOT NULL,     -- a label for people
  secret      TEXT NOT NULL,     -- HMAC-SHA256 key of its deliveries; kept as is, since every delivery signs with it
  created_at  BIGINT NOT NULL,
  created_by  TEXT NOT NULL,     -- operator (a request signed with its key) | admin
  removed_at  BIGINT            -- NULL while it is registered; its deliveries stay readable after
);
CREATE INDEX webhooks_operator ON webhooks (operator_id);

-- A delivery owed to a webhook: written in the same transaction as the event that caused it.
CREATE TABLE webhook_deliveries (
  id              TEXT PRIMARY KEY,  -- whd_<…>, sent as x-corten-webhook-delivery on every attempt
  webhook_id      TEXT NOT NULL,
  kind            TEXT NOT NULL,     -- one of the webhook kinds
  event_type      TEXT NOT NULL,     -- the event that caused it
  payload         TEXT NOT NULL,     -- the JSON body, exactly as signed and sent
  status          TEXT NOT NULL,     -- pending | delivered | failed (attempts used up, or the webhook removed)
  attempts        INTEGER NOT NULL,  -- attempts made so far
  next_attempt_at BIGINT,            -- when the next attempt is due; NULL unless pending
  created_at      BIGINT NOT NULL,
  updated_at      BIGINT NOT NULL
);
-- The dispatcher reads what is due, oldest first; finished deliveries leave the index.
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at, id) WHERE status = 'pending';
-- The delivery log of one webhook, newest first.
CREATE INDEX webhook_deliveries_webhook ON webhook_deliveries (webhook_id, created_at);

-- Every attempt of every delivery: the delivery log the API shows.
CREATE TABLE webhook_attempts (
  delivery_id TEXT NOT NULL,
  attempt     INTEGER NOT NULL,  -- 1, 2, …
  at          BIGINT NOT NULL,  -- when it was sent, coordinator clock
  duration_ms DOUBLE PRECISION NOT NULL,  -- until the answer, the timeout or the error
  status_code INTEGER,           -- the receiver's HTTP status; NULL when it did not answer
  error       TEXT,              -- why it failed; NULL when it succeeded (a 2xx)
  PRIMARY KEY (delivery_id, attempt)
);
