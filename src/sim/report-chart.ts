/**
 * The report as a chart: one self-contained HTML page (inline SVG, no
 * scripts, no network) with throughput and failures over time, results per
 * region, and the coordinator's CPU and scheduling latency, each with the
 * faults drawn as shaded bands. Open it in any browser, attach it to an issue.
 */
import type { SimReport } from './sim-report.js';

interface Line {
  name: string;
  color: string;
  values: (number | null)[];
  dashed?: boolean;
}

const WIDTH = 960;
const HEIGHT = 220;
const PAD = { left: 56, right: 16, top: 28, bottom: 28 };
const PALETTE = [
  '#1f77b4',
  '#2ca02c',
  '#9467bd',
  '#8c564b',
  '#e377c2',
  '#17becf',
  '#bcbd22',
  '#7f7f7f',
  '#ff7f0e',
  '#d62728',
  '#393b79',
  '#637939',
];

export function renderChart(report: SimReport): string {
  const s = report.series;
  const seconds = Math.max(1, s.t.length);
  const panels = [
    panel(
      'Tasks per second',
      seconds,
      [
        { name: 'verified', color: '#111', values: s.verified },
        { name: 'failed', color: '#d62728', values: s.failed },
        { name: 'reassigned', color: '#ff7f0e', values: s.reassigned },
        { name: 'leases lost', color: '#9467bd', values: s.leasesLost, dashed: true },
      ],
      report,
    ),
    panel(
      'Results per second, by region',
      seconds,
      report.network.regions.map((r, i) => ({
        name: r,
        color: PALETTE[i % PALETTE.length]!,
        values: s.perRegion[r] ?? [],
      })),
      report,
    ),
  ];
  const samples = report.coordinator.samples;
  const bySecond = (pick: (x: SimReport['coordinator']['samples'][number]) => number | null) => {
    const out: (number | null)[] = new Array<number | null>(seconds).fill(null);
    for (const x of samples) {
      const i = Math.floor(x.t / 1000);
      if (i >= 0 && i < seconds) out[i] = pick(x);
    }
    return out;
  };
  panels.push(
    panel(
      'Coordinator CPU (cores) and tasks queued (÷1000)',
      seconds,
      [
        {
          name: 'cpu cores',
          color: '#1f77b4',
          values: bySecond((x) => (Number.isFinite(x.cpuCores) ? x.cpuCores : null)),
        },
        { name: 'queued ÷1000', color: '#7f7f7f', values: bySecond((x) => x.queued / 1000), dashed: true },
      ],
      report,
    ),
  );
  if (samples.some((x) => x.schedulingP99Ms !== null)) {
    panels.push(
      panel(
        "Scheduling latency, ms (coordinator's recent window)",
        seconds,
        [
          { name: 'p99', color: '#d62728', values: bySecond((x) => x.schedulingP99Ms) },
          { name: 'p50', color: '#2ca02c', values: bySecond((x) => x.schedulingP50Ms) },
        ],
        report,
      ),
    );
  }
  const t = report.tasks;
  const summary = [
    ['submitted', t.submitted],
    ['verified', t.verified],
    ['failed', t.failed],
    ['lost', t.lost],
    ['wrong outputs accepted', report.correctness.wrongAccepted],
    ['reassigned', report.work.reassigned],
    ['executions per verified task', report.work.executionsPerVerified],
    ['verified/s', report.throughput.verifiedPerSecond],
    ['coordinator peak RSS (MB)', report.coordinator.peakRssMb],
    ['coordinator mean cores', report.coordinator.meanCores],
    ['scheduling p99 (ms)', schedulingP99(report)],
  ];
  const faults = report.faults
    .map(
      (f) =>
        `<tr><td>${f.id}</td><td>${esc(f.label)}</td><td>${f.startS}s</td><td>${f.endS === null ? '—' : `${f.endS}s`}</td>` +
        `<td>${ms(f.detectMs)}</td><td>${f.leasesLost}</td><td>${f.reassigned}</td><td>${f.unresolved}</td><td>${ms(f.recoverMs)}</td><td>${f.wrongAccepted}</td></tr>`,
    )
    .join('\n');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>corten simulation: ${esc(report.scenario.name)}</title>
<style>
body { font: 14px/1.4 system-ui, sans-serif; margin: 24px; color: #222; max-width: ${WIDTH + 40}px; }
table { border-collapse: collapse; margin: 8px 0 20px; }
td, th { border-bottom: 1px solid #ddd; padding: 3px 10px; text-align: left; }
svg { display: block; margin-bottom: 18px; }
.muted { color: #666; }
</style></head><body>
<h1>corten simulation: ${esc(report.scenario.name)}</h1>
<p class="muted">${esc(report.scenario.description)}</p>
<p>${report.network.operators} operators in ${report.network.regions.length} regions; ${report.load.tasks} tasks of ${esc(report.load.eu)} at ${report.load.ratePerSecond}/s
${report.load.spikes ? ` plus ${report.load.spikes} in spikes` : ''}; run ${report.durationS} s. Shaded bands are faults, numbered as in the table.</p>
<table>${summary.map(([k, v]) => `<tr><th>${k}</th><td>${v}</td></tr>`).join('')}</table>
${panels.join('\n')}
<h2>Faults</h2>
<table><tr><th>#</th><th>fault</th><th>at</th><th>until</th><th>detected</th><th>leases lost</th><th>reassigned</th><th>unresolved</th><th>recovered</th><th>wrong accepted</th></tr>
${faults}
</table>
</body></html>
`;
}

function panel(title: string, seconds: number, lines: Line[], report: SimReport): string {
  const w = WIDTH - PAD.left - PAD.right;
  const h = HEIGHT - PAD.top - PAD.bottom;
  let max = 0;
  for (const l of lines) for (const v of l.values) if (v !== null && v > max) max = v;
  max = niceCeil(max);
  const x = (t: number) => PAD.left + (seconds <= 1 ? 0 : (t / (seconds - 1)) * w);
  const y = (v: number) => PAD.top + h - (v / max) * h;
  const parts: string[] = [];
  // A fault with an end is a band; one that lasts to the end of the run is a line where it struck.
  for (const f of report.faults) {
    const x0 = x(Math.min(seconds - 1, f.startS));
    const color = f.kind === 'spike' ? '#2ca02c' : '#d62728';
    if (f.endS === null) {
      parts.push(
        `<line x1="${x0.toFixed(1)}" x2="${x0.toFixed(1)}" y1="${PAD.top}" y2="${PAD.top + h}" stroke="${color}" stroke-dasharray="3 3" opacity="0.6"/>`,
      );
    } else {
      const x1 = x(Math.min(seconds - 1, f.endS));
      parts.push(
        `<rect x="${x0.toFixed(1)}" y="${PAD.top}" width="${Math.max(2, x1 - x0).toFixed(1)}" height="${h}" fill="${color}" opacity="0.07"/>`,
      );
    }
    parts.push(`<text x="${(x0 + 2).toFixed(1)}" y="${PAD.top + 11}" font-size="10" fill="${color}">${f.id}</text>`);
  }
  for (let i = 0; i <= 4; i++) {
    const v = (max * i) / 4;
    parts.push(
      `<line x1="${PAD.left}" x2="${PAD.left + w}" y1="${y(v).toFixed(1)}" y2="${y(v).toFixed(1)}" stroke="#eee"/>`,
    );
    parts.push(
      `<text x="${PAD.left - 6}" y="${(y(v) + 4).toFixed(1)}" font-size="10" text-anchor="end" fill="#666">${label(v)}</text>`,
    );
  }
  const step = Math.max(1, niceCeil(seconds / 10));
  for (let t = 0; t < seconds; t += step) {
    parts.push(
      `<text x="${x(t).toFixed(1)}" y="${HEIGHT - 8}" font-size="10" text-anchor="middle" fill="#666">${t}s</text>`,
    );
  }
  lines.forEach((l, i) => {
    let d = '';
    let pen = false;
    l.values.forEach((v, t) => {
      if (v === null) {
        pen = false;
        return;
      }
      d += `${pen ? 'L' : 'M'}${x(t).toFixed(1)},${y(v).toFixed(1)}`;
      pen = true;
    });
    if (d)
      parts.push(
        `<path d="${d}" fill="none" stroke="${l.color}" stroke-width="1.5"${l.dashed ? ' stroke-dasharray="4 3"' : ''}/>`,
      );
    const lx = PAD.left + 8 + i * 120;
    parts.push(
      `<line x1="${lx}" x2="${lx + 16}" y1="${PAD.top - 12}" y2="${PAD.top - 12}" stroke="${l.color}" stroke-width="2"/>`,
    );
    parts.push(`<text x="${lx + 20}" y="${PAD.top - 8}" font-size="11">${esc(l.name)}</text>`);
  });
  return `<h3>${esc(title)}</h3>
<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${HEIGHT}" viewBox="0 0 ${WIDTH} ${HEIGHT}" role="img" aria-label="${esc(title)}">
<rect x="${PAD.left}" y="${PAD.top}" width="${w}" height="${h}" fill="none" stroke="#ccc"/>
${parts.join('\n')}
</svg>`;
}

/** The smallest 1, 2 or 5 × 10^k at or above `v` (at least 1). */
function niceCeil(v: number): number {
  if (v <= 1) return 1;
  const p = 10 ** Math.floor(Math.log10(v));
  for (const m of [1, 2, 5, 10]) if (m * p >= v) return m * p;
  return 10 * p;
}

function label(v: number): string {
  return v >= 1000 ? `${(v / 1000).toFixed(v % 1000 === 0 ? 0 : 1)}k` : String(Math.round(v * 100) / 100);
}

function schedulingP99(report: SimReport): string {
  const s = report.coordinator.scheduling;
  if (!s) return 'n/a';
  return s.p99Ms === null ? `> ${s.maxBucketMs ?? '?'}` : String(s.p99Ms);
}

function ms(v: number | null): string {
  return v === null ? '—' : `${v} ms`;
}

function esc(text: string): string {
  return text.replace(/[&<>"]/g, (ch) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[ch]!);
}
