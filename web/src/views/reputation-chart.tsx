/**
 * Each charted operator's reputation score over time: the coordinator's history first (a sample
 * when its standing moved, at most one a minute, for a day), then a point whenever a reload of
 * the operator list shows a new score. A score holds until the next sample, so each line is drawn
 * as steps (each x's value is the latest sample at or before it), up to now.
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import { api } from '../api.js';
import { COLORS, TimeChart } from '../chart.js';
import { shortId } from '../format.js';
import type { OperatorHistoryView, OperatorView } from '../types.js';

interface Point {
  /** Seconds since epoch (uPlot's unit). */
  t: number;
  score: number;
}

/** The most history the coordinator keeps of an operator: a day at one sample a minute. */
const MAX_HISTORY = 1440;
/** Live points kept per operator past its history: ten minutes of changes at one every 2 s. */
const MAX_LIVE = 300;

export function ReputationChart(props: { operators: OperatorView[]; now: number }) {
  const points = useRef(new Map<string, Point[]>());
  /** Operators whose history has been read (or is being read). */
  const loaded = useRef(new Set<string>());
  const [historyPoints, setHistoryPoints] = useState(0);
  const ids = props.operators.map((o) => o.id);

  useEffect(() => {
    let current = true;
    for (const id of ids) {
      if (loaded.current.has(id)) continue;
      loaded.current.add(id);
      api<OperatorHistoryView>(`/v1/operators/${encodeURIComponent(id)}/history`).then(
        ({ samples }) => {
          if (!current) return;
          const past = samples.map((s) => ({ t: s.ts / 1000, score: s.score }));
          const since = past.at(-1)?.t ?? 0;
          const live = (points.current.get(id) ?? []).filter((p) => p.t > since);
          points.current.set(id, [...past, ...live]);
          setHistoryPoints((n) => n + past.length);
        },
        () => loaded.current.delete(id),
      );
    }
    return () => {
      current = false;
    };
  }, [ids.join(',')]);

  // Live: a point when a reload shows a score other than the last one.
  for (const o of props.operators) {
    const list = points.current.get(o.id) ?? [];
    if (list.at(-1)?.score !== o.reputation.score) {
      list.push({ t: props.now / 1000, score: o.reputation.score });
      if (list.length > MAX_HISTORY + MAX_LIVE) list.shift();
      points.current.set(o.id, list);
    }
  }

  const series = props.operators.map((o) => points.current.get(o.id) ?? []);
  const x = [...new Set(series.flatMap((list) => list.map((p) => p.t)).concat(props.now / 1000))].sort((a, b) => a - b);
  return (
    <div data-testid="reputation-history" data-history-points={historyPoints}>
      <TimeChart
        title="Reputation score (the coordinator's history, then live)"
        testId="reputation"
        stepped
        x={x}
        series={props.operators.map((o, i) => ({
          label: shortId(o.id, 12),
          color: COLORS[i]!,
          values: stepValues(x, series[i]!),
        }))}
      />
    </div>
  );
}

/** The value of a step line at each x: the latest point at or before it, null before the first. */
function stepValues(x: number[], points: Point[]): (number | null)[] {
  const values: (number | null)[] = [];
  let i = -1;
  for (const t of x) {
    while (i + 1 < points.length && points[i + 1]!.t <= t) i += 1;
    values.push(i >= 0 ? points[i]!.score : null);
  }
  return values;
}
