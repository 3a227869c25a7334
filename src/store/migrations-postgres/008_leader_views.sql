-- What only the leader holds in memory (its operators and their connections, region marks, the
-- scheduler's figures), written by the leader once a second so that followers serve the same
-- views (coordinator/server/network-views.ts). A view, not the truth: nothing is recovered from it.
CREATE TABLE leader_views (
  name       TEXT PRIMARY KEY,  -- which view: 'network' (operators, regions, stats)
  epoch      BIGINT NOT NULL,   -- the epoch of the leader that wrote it; a deposed leader's write lands nowhere
  body       TEXT NOT NULL,     -- JSON, as the leader's API answers it
  written_at BIGINT NOT NULL    -- ms on the writing leader's clock
);
