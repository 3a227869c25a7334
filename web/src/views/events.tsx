/**
 * Events: the live log, filtered by type, task or operator. The filter is applied to the
 * events this page holds and to the coordinator's log for older ones ("load older").
 */
import { useState } from 'preact/hooks';
import { api, query } from '../api.js';
import { shortId, time } from '../format.js';
import { useFeedVersion } from '../hooks.js';
import { feed } from '../live.js';
import { taskHref } from '../router.js';
import type { CortenEvent } from '../types.js';
import { describeEvent } from './overview.js';

const SHOWN = 300;

export function EventsView(props: { params: URLSearchParams }) {
  useFeedVersion();
  const [types, setTypes] = useState(props.params.get('types') ?? '');
  const [task, setTask] = useState(props.params.get('task') ?? '');
  const [operator, setOperator] = useState(props.params.get('operator') ?? '');
  const [older, setOlder] = useState<CortenEvent[]>([]);
  const wanted = types
    .split(',')
    .map((t) => t.trim())
    .filter(Boolean);
  const matches = (e: CortenEvent) =>
    (wanted.length === 0 || wanted.some((t) => (t.endsWith('.') ? e.type.startsWith(t) : e.type === t))) &&
    (!task || e.taskId === task) &&
    (!operator || e.operatorId === operator);
  const shown = [...older.filter(matches), ...feed.recent.filter(matches)].slice(-SHOWN).reverse();

  const loadOlder = async () => {
    const first = older[0]?.seq ?? feed.recent[0]?.seq ?? 0;
    const page = await api<{ events: CortenEvent[] }>(
      `/v1/events${query({
        after: Math.max(0, first - 2000),
        limit: 2000,
        taskId: task || undefined,
        operatorId: operator || undefined,
        types: wanted.every((t) => !t.endsWith('.')) ? wanted.join(',') : undefined,
      })}`,
    );
    setOlder([...page.events.filter((e) => e.seq < first), ...older]);
  };

  const input = (label: string, value: string, set: (v: string) => void, placeholder: string) => (
    <label>
      {label}
      <input
        name={label}
        value={value}
        placeholder={placeholder}
        onInput={(e) => set((e.target as HTMLInputElement).value)}
      />
    </label>
  );

  return (
    <section>
      <h2>Events</h2>
      <form class="filters" onSubmit={(e) => e.preventDefault()}>
        {input('types', types, setTypes, 'task.reassigned, operator. …')}
        {input('task', task, setTask, 't_…')}
        {input('operator', operator, setOperator, 'op_…')}
        <button type="button" onClick={() => void loadOlder()}>
          load older
        </button>
      </form>
      <table class="list" data-testid="events">
        <thead>
          <tr>
            <th>seq</th>
            <th>time</th>
            <th>type</th>
            <th>task</th>
            <th>operator</th>
            <th>what</th>
          </tr>
        </thead>
        <tbody>
          {shown.map((e) => (
            <tr data-type={e.type}>
              <td class="num">{e.seq}</td>
              <td>{time(e.ts)}</td>
              <td>{e.type}</td>
              <td>{e.taskId ? <a href={taskHref(e.taskId)}>{shortId(e.taskId, 18)}</a> : ''}</td>
              <td>{shortId(e.operatorId, 18)}</td>
              <td>{describeEvent(e)}</td>
            </tr>
          ))}
          {shown.length === 0 && (
            <tr>
              <td colSpan={6} class="hint">
                no events match (yet)
              </td>
            </tr>
          )}
        </tbody>
      </table>
    </section>
  );
}
