-- Task search (GET /v1/tasks filters, the dashboard): every filter reads an index range in
-- the listing's order (submitted_at, id), so a page costs its own rows, not the table's.
-- Portable SQL: the PostgreSQL backend applies the same statements.

-- Unfiltered listings and time ranges, either direction.
CREATE INDEX tasks_submitted ON tasks (submitted_at, id);
-- By status ("failed only"), and failed tasks by reason through the same range.
CREATE INDEX tasks_status ON tasks (status, submitted_at, id);
-- An account's tasks by status; counting an account's tasks by status reads only this index.
CREATE INDEX tasks_owner_status ON tasks (owner, status, submitted_at, id);
-- The tasks an operator ran (and, through the operators of a region, a region's). One more
-- index on assignments: each row is written two or three times, this adds one entry each.
CREATE INDEX assignments_operator ON assignments (operator_id, task_id);
