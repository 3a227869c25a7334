-- Task search on PostgreSQL (SQLite's 007): every filter of GET /v1/tasks reads an index range in
-- the listing's order (submitted_at, id). The unfiltered order is tasks_paged (001).

-- By status ("failed only"), and failed tasks by reason through the same range.
CREATE INDEX tasks_status ON tasks (status, submitted_at, id);
-- An account's tasks by status; counting an account's tasks by status reads only this index.
CREATE INDEX tasks_owner_status ON tasks (owner, status, submitted_at, id);
-- The tasks an operator ran (and, through the operators of a region, a region's).
CREATE INDEX assignments_operator ON assignments (operator_id, task_id);
