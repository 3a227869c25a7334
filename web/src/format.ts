/** Short, readable forms of ids, times and amounts. */

export function shortId(id: string | null | undefined, keep = 14): string {
  if (!id) return '—';
  return id.length > keep ? `${id.slice(0, keep)}…` : id;
}

export function time(ms: number | null | undefined): string {
  if (ms == null) return '—';
  const d = new Date(ms);
  return `${d.toLocaleTimeString([], { hour12: false })}.${String(d.getMilliseconds()).padStart(3, '0')}`;
}

export function dateTime(ms: number | null | undefined): string {
  if (ms == null) return '—';
  return new Date(ms).toISOString().replace('T', ' ').slice(0, 19);
}

export function age(ms: number, now: number): string {
  const s = Math.max(0, Math.round((now - ms) / 1000));
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min`;
  return `${Math.floor(s / 3600)} h`;
}

export function percent(x: number): string {
  return `${Math.round(x * 100)}%`;
}

export function hash(h: string | null | undefined): string {
  return h ? `${h.slice(0, 10)}…` : '—';
}
