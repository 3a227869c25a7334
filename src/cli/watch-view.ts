/**
 * How `corten watch` draws its state on a terminal: a header with the
 * connection, a progress bar per EU and per job (verified, failed, still
 * running), the reassignments and escalations with the latest few, and the
 * operators online in each region. Pure text; the command redraws it.
 */
import type { Tally, WatchSnapshot } from './watch-state.js';

const BAR_WIDTH = 24;
const GREEN = '\x1b[32m';
const RED = '\x1b[31m';
const DIM = '\x1b[2m';
const BOLD = '\x1b[1m';
const RESET = '\x1b[0m';

export interface ViewContext {
  url: string;
  /** What the connection is doing: `live`, `reconnecting in 500 ms` … */
  connection: string;
  color: boolean;
}

/** A bar of verified (█, green), failed (█, red) and still open (░) tasks. */
export function bar(t: Tally, color: boolean, width = BAR_WIDTH): string {
  const total = Math.max(t.submitted, t.verified + t.failed, 1);
  const verified = Math.round((t.verified / total) * width);
  const failed = Math.min(width - verified, Math.round((t.failed / total) * width));
  const open = width - verified - failed;
  const paint = (code: string, text: string) => (color && text ? `${code}${text}${RESET}` : text);
  return `[${paint(GREEN, '█'.repeat(verified))}${paint(RED, '█'.repeat(failed))}${paint(DIM, '░'.repeat(open))}]`;
}

function row(name: string, t: Tally, width: number, color: boolean, extra = ''): string {
  const settled = t.verified + t.failed;
  const pct = t.submitted > 0 ? Math.floor((settled / t.submitted) * 100) : 0;
  const running = Math.max(0, t.submitted - settled);
  return (
    `${name.padEnd(width)}  ${bar(t, color)} ${String(pct).padStart(3)}%  ` +
    `${String(t.verified).padStart(7)} ${String(t.failed).padStart(6)} ${String(running).padStart(7)} ` +
    `${String(t.escalated).padStart(9)}${extra}`
  );
}

export function renderWatch(s: WatchSnapshot, context: ViewContext): string[] {
  const b = (text: string) => (context.color ? `${BOLD}${text}${RESET}` : text);
  const lines: string[] = [];
  const at = s.position === undefined ? 'no event yet' : `event ${s.position}`;
  lines.push(`${b('corten watch')}  ${context.url}  ${at}  ${context.connection}`);
  lines.push('');
  const names = [...Object.keys(s.eus), ...Object.keys(s.jobs)];
  const width = Math.max(12, ...names.map((n) => n.length));
  const header = `${''.padEnd(width)}  ${'progress'.padEnd(BAR_WIDTH + 2)}       verified failed running escalated`;
  lines.push(b(`EU${header.slice(2)}`));
  const eus = Object.entries(s.eus);
  if (eus.length === 0) lines.push(`${DIM_TEXT(context)}no tasks submitted since the watch began${END(context)}`);
  for (const [name, t] of eus) lines.push(row(name, t, width, context.color));
  const jobs = Object.entries(s.jobs);
  if (jobs.length > 0) {
    lines.push('');
    lines.push(b(`JOB${header.slice(3)}`));
    for (const [id, t] of jobs) lines.push(row(id, t, width, context.color, `  ${t.status}`));
  }
  const waiting = Object.entries(s.waiting);
  if (waiting.length > 0) {
    lines.push(`${b('waiting for an operator')}  ${waiting.map(([reason, n]) => `${n} (${reason})`).join('   ')}`);
  }
  lines.push('');
  lines.push(
    `${b('reassignments')} ${s.reassignments.total}   ${b('escalations')} ${s.escalations.total}   ` +
      `${b('refused results')} ${s.refusedResults}`,
  );
  for (const line of s.reassignments.recent) lines.push(`  ↪ ${line}`);
  for (const line of s.escalations.recent) lines.push(`  ⇡ ${line}`);
  lines.push('');
  const regions = Object.entries(s.regions).map(([name, r]) => {
    const text = `${name} ${r.online}/${r.operators}${r.down ? ' DOWN' : ''}`;
    if (!context.color) return text;
    return r.down || r.online === 0 ? `${RED}${text}${RESET}` : `${GREEN}${text}${RESET}`;
  });
  lines.push(`${b('operators online')}  ${regions.length > 0 ? regions.join('   ') : 'none'}`);
  return lines;
}

const DIM_TEXT = (c: ViewContext) => (c.color ? DIM : '');
const END = (c: ViewContext) => (c.color ? RESET : '');
