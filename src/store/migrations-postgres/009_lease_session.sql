-- The holder's sign of life: the application name of its keeper session (store/postgres/lease-keeper.ts).
-- A claim may take a live lease whose holder's session no longer exists in pg_stat_activity (the process
-- died), instead of waiting for it to expire. Null: a holder without a keeper, judged by expires_at alone.
ALTER TABLE leader_lease ADD COLUMN session TEXT;
