-- Ownership (coordinator/ownership.ts): every task, EU name and event has an owner, and a key
-- reads only what its owner owns. Owners: an account id, 'anonymous', 'network' (the admin's).

-- Who owns the task: the account that submitted it, 'anonymous' or 'network'. Rows from before
-- this migration take their paying account, or 'network' (only the admin reads them) when free,
-- since a free task then did not record who sent it.
ALTER TABLE tasks ADD COLUMN owner TEXT NOT NULL DEFAULT 'network';
UPDATE tasks SET owner = (SELECT account_id FROM task_accounts WHERE task_accounts.task_id = tasks.id)
  WHERE id IN (SELECT task_id FROM task_accounts);
-- An account lists its own tasks, keyset-paged like the full list.
CREATE INDEX tasks_owner ON tasks (owner, submitted_at, id);

-- Who owns the EU's name: its first publisher; every version of a name has the same owner.
-- EUs from before this migration (the built-ins among them) become the network's.
ALTER TABLE eus ADD COLUMN owner TEXT NOT NULL DEFAULT 'network';

-- Who may read the event: its task's owner, the account whose money it moves, 'network', or NULL (public).
ALTER TABLE events ADD COLUMN owner TEXT;
UPDATE events SET owner = (SELECT owner FROM tasks WHERE tasks.id = events.task_id) WHERE task_id IS NOT NULL;
UPDATE events SET owner = substr(json_extract(data, '$.account'), 5)
  WHERE task_id IS NULL AND json_extract(data, '$.account') LIKE 'dev:%';
UPDATE events SET owner = 'network'
  WHERE task_id IS NULL AND owner IS NULL AND (type LIKE 'ledger.%' OR type = 'result.refused');
