-- The checks a commit makes travel inside its own statements, so that a whole commit is sent in one
-- pipelined round trip (store/postgres/write-plan.ts): a statement that had to touch exactly one row
-- and did not (a stale lease fence, a deposed leader's epoch, a row taken already) raises here, the
-- transaction aborts, and the COMMIT queued behind it rolls back instead.

-- Raises SQLSTATE CT001 unless `n` is 1. `kind` (DETAIL) and `key` (HINT) tell the store which check
-- failed and on what row, so it can say why in its own error; `message` is for a person.
CREATE FUNCTION corten_expect_one(n BIGINT, kind TEXT, key TEXT, message TEXT) RETURNS VOID
LANGUAGE plpgsql AS $$
BEGIN
  IF n <> 1 THEN
    RAISE EXCEPTION USING ERRCODE = 'CT001', MESSAGE = message || ' (' || n || ' rows)', DETAIL = kind, HINT = key;
  END IF;
END
$$;
