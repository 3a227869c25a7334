/**
 * Shared pieces of the benchmarks: process CPU and memory readings, a
 * trivial EU, percentiles, and printing. Benchmarks print figures; they never
 * pass or fail on time.
 */
import { readFileSync } from 'node:fs';
import type { PublishEuRequest } from '../src/protocol/index.js';

/** CPU seconds (user + system) a process has used, from /proc. */
export function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]);
  return ticks / 100;
}

/** CPU seconds (user + system) this process has used, all its threads together (microsecond resolution). */
export function ownCpuSeconds(): number {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1e6;
}

/** Resident memory now and at its peak, in MB, from /proc. */
export function memoryMb(pid: number): { rss: number; peak: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (key: string) => Number(status.match(new RegExp(`${key}:\\s+(\\d+)`))?.[1] ?? 0);
  return { rss: kb('VmRSS') / 1024, peak: kb('VmHWM') / 1024 };
}

/** The trivial EU of the throughput benchmark: doubles a number. */
export function trivialEu(name: string, quorum: number): PublishEuRequest {
  return {
    manifest: {
      name,
      version: '1.0.0',
      description: 'doubles a number (benchmark workload)',
      verification: { policy: 'exact', quorum, maxReplicas: Math.max(quorum, 3) },
      timeoutMs: 5000,
      requirements: { cpu: 1, memoryMb: 16, capabilities: [] },
      inputSchema: { type: 'object', properties: { x: { type: 'number' } }, required: ['x'] },
      outputSchema: { type: 'object', properties: { y: { type: 'number' } }, required: ['y'] },
    },
    files: { 'main.js': 'export function run(input) { return { y: input.x * 2 }; }\n' },
  };
}

export function percentile(values: number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank]!;
}

export function fmt(n: number, digits = 0): string {
  return Number.isFinite(n)
    ? n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits })
    : 'n/a';
}

export function heading(title: string): void {
  process.stdout.write(`\n== ${title} ==\n`);
}

export function line(text: string): void {
  process.stdout.write(`${text}\n`);
}

/** "meets" / "misses" against a target, for the printed comparison (not a test). */
export function versus(value: number, target: number, higherIsBetter: boolean): string {
  const ok = higherIsBetter ? value >= target : value <= target;
  return `${ok ? 'meets' : 'misses'} target ${higherIsBetter ? '≥' : '≤'} ${fmt(target)}`;
}
