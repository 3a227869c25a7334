-- Every assignment row is written two or three times in its short life; each index costs
-- a B-tree update per write. These two served no query:
-- assignments_task duplicates the index of UNIQUE (task_id, attempt), which answers
-- "assignments of a task" already; assignments_open (by operator, while open) was never read:
-- the coordinator keeps open leases in memory and rebuilds them through their tasks.
DROP INDEX assignments_task;
DROP INDEX assignments_open;
