/**
 * Fault scenarios as data: a YAML or JSON file naming the network, the load
 * and a timeline of faults. The schema below is the reference of the format;
 * `scenarios/` at the top of the repository holds worked examples.
 *
 *   name: regional-outage
 *   network: { operators: 300, regions: 6 }
 *   load: { tasks: 20000 }
 *   timeline:
 *     - { at: 20%, fault: crash, operators: { count: 5 } }
 *     - { at: 40%, fault: region-outage, region: us-east, for: 15% }
 *
 * Times (`at`, `for`, `over`, `up`, `down`) are seconds (`12`, `"12s"`),
 * milliseconds (`"500ms"`), minutes (`"2m"`), or a share of the load window
 * (`"25%"`: a quarter of the time the planned load takes to submit), so one
 * scenario scales with `--tasks`.
 */
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { CortenError, EuName, RegionName } from '../protocol/index.js';

const TIME_PATTERN = /^(\d+(?:\.\d+)?)(ms|s|m|%)$/;

export const TimeSpec = z.union([
  z.number().min(0),
  z.string().regex(TIME_PATTERN, 'a time is seconds (12), "500ms", "12s", "2m" or a share of the load window ("25%")'),
]);
export type TimeSpec = z.infer<typeof TimeSpec>;

/** Which operators a fault hits. Without count, share or agents: every operator of `region` (or of the network). */
export const OperatorSelector = z
  .strictObject({
    /** This many operators, picked at random (seeded) among those no earlier fault has touched. */
    count: z.int().min(1).optional(),
    /** This share of the pool (0 < share ≤ 1), rounded to at least one operator. */
    share: z.number().gt(0).max(1).optional(),
    /** Only operators of this region. */
    region: RegionName.optional(),
    /** Exactly these agents, by number (0 … operators-1). */
    agents: z.array(z.int().min(0)).min(1).optional(),
  })
  .refine((s) => [s.count, s.share, s.agents].filter((v) => v !== undefined).length <= 1, {
    message: 'give at most one of count, share and agents',
  });
export type OperatorSelector = z.infer<typeof OperatorSelector>;

const base = {
  /** When the fault starts. */
  at: TimeSpec,
  /** How long it lasts; without it, until the end of the run. */
  for: TimeSpec.optional(),
  /** A name for the report; defaults to a description. */
  label: z.string().max(80).optional(),
};
const targeted = { ...base, operators: OperatorSelector };

export const FaultEntry = z.discriminatedUnion('fault', [
  /** Operators die (connection dropped at once, work lost); with `for`, they restart with the same identity. */
  z.strictObject({ fault: z.literal('crash'), ...targeted }),
  /** Operators freeze: the socket stays open, nothing is sent; with `for`, they thaw. */
  z.strictObject({ fault: z.literal('hang'), ...targeted }),
  /** Every execution takes `factor` times as long. */
  z.strictObject({ fault: z.literal('slow'), ...targeted, factor: z.number().min(1).max(1000) }),
  /** The connection drops, stays down `down`, comes back for `up`, and so on. */
  z.strictObject({ fault: z.literal('flap'), ...targeted, up: TimeSpec.default('2s'), down: TimeSpec.default('1s') }),
  /** Each liar returns its own wrong output on a share `rate` of its tasks. */
  z.strictObject({ fault: z.literal('lie'), ...targeted, rate: z.number().min(0).max(1).default(1) }),
  /** Each liar keeps its honest output's wording and flips one fact in it (a number, a negation, an antonym). */
  z.strictObject({ fault: z.literal('flip'), ...targeted, rate: z.number().min(0).max(1).default(1) }),
  /** Colluders all return the same wrong output, on the same tasks (a share `rate`). */
  z.strictObject({ fault: z.literal('collude'), ...targeted, rate: z.number().min(0).max(1).default(1) }),
  /** Every operator of the region dies at once; with `for`, they all restart. */
  z.strictObject({ fault: z.literal('region-outage'), ...base, region: RegionName }),
  /**
   * The region loses its network to the coordinator: `silent` (traffic
   * dropped, sockets open: only heartbeats tell) or `reset` (connections
   * drop). Its operators keep working; with `for`, they reconnect.
   */
  z.strictObject({
    fault: z.literal('region-cut'),
    ...base,
    region: RegionName,
    mode: z.enum(['silent', 'reset']).default('silent'),
  }),
  /** A burst of `tasks` extra tasks for `eu` (default: the load's EU), spread over `over`. */
  z.strictObject({
    fault: z.literal('spike'),
    at: TimeSpec,
    label: base.label,
    tasks: z.int().min(1).max(1_000_000),
    eu: EuName.optional(),
    over: TimeSpec.default('1s'),
  }),
]);
export type FaultEntry = z.infer<typeof FaultEntry>;
export type FaultKind = FaultEntry['fault'];

export const SimEuSpec = z
  .strictObject({
    name: EuName,
    quorum: z.int().min(1).max(15).default(2),
    maxReplicas: z.int().min(1).max(31).default(5),
    timeoutMs: z.int().min(10).max(3_600_000).default(10_000),
    /** Only operators in these regions may run it (`requirements.regions`). */
    regions: z.array(RegionName).min(1).optional(),
  })
  .refine((e) => e.maxReplicas >= e.quorum, { message: 'maxReplicas must be at least quorum', path: ['maxReplicas'] });
export type SimEuSpec = z.infer<typeof SimEuSpec>;

export const Scenario = z.strictObject({
  name: z.string().min(1).max(80).default('unnamed'),
  description: z.string().max(2000).default(''),
  /** Seeds operator selection and the load: the same seed picks the same victims. */
  seed: z.int().default(1),
  network: z
    .strictObject({
      operators: z.int().min(1).max(100_000).default(60),
      /** How many regions (named from a built-in list), or their names. */
      regions: z.union([z.int().min(1).max(64), z.array(RegionName).min(1).max(64)]).default(3),
      /** Agent-host processes; default one per ~250 agents, at least 2. */
      hosts: z.int().min(1).max(64).optional(),
      /** Assignments each operator holds at once. */
      maxConcurrent: z.int().min(1).max(1024).default(4),
    })
    .default({ operators: 60, regions: 3, maxConcurrent: 4 }),
  /** Coordinator settings (see `corten coordinator --help`). */
  coordinator: z
    .strictObject({
      heartbeatMs: z.int().min(50).max(60_000).optional(),
      missThreshold: z.int().min(1).max(100).optional(),
      leaseGraceMs: z.int().min(0).max(3_600_000).optional(),
      /** More `corten coordinator` flags, as given on its command line (e.g. `--adaptive-replication`). */
      args: z.array(z.string().max(200)).max(64).default([]),
    })
    .default({ args: [] }),
  /**
   * Money in play: every EU costs `price` per execution, paid from a
   * developer account the simulator funds; every operator bonds `stake`;
   * the coordinator wants `minStake`. Without it, work is free and unstaked,
   * and the report's rewards and slashes stay 0.
   */
  economics: z
    .strictObject({
      price: z.int().min(0).max(1_000_000).default(10),
      stake: z.int().min(0).max(1_000_000_000).default(1000),
      minStake: z.int().min(0).max(1_000_000_000).default(0),
    })
    .optional(),
  /** The cost model: execution time is log-normal around `medianMs`. */
  cost: z
    .strictObject({
      medianMs: z.number().min(0).max(3_600_000).default(200),
      sigma: z.number().min(0).max(3).default(0.5),
    })
    .default({ medianMs: 200, sigma: 0.5 }),
  eus: z
    .array(SimEuSpec)
    .min(1)
    .default([{ name: 'sim-work', quorum: 2, maxReplicas: 5, timeoutMs: 10_000 }]),
  load: z
    .strictObject({
      tasks: z.int().min(1).max(10_000_000).default(2000),
      /** Tasks submitted per second; `auto` aims at `utilization` of the operators' capacity. */
      rate: z.union([z.number().gt(0), z.literal('auto')]).default('auto'),
      utilization: z.number().gt(0).max(2).default(0.6),
      /** The EU the steady load runs (default: the first of `eus`). */
      eu: EuName.optional(),
    })
    .default({ tasks: 2000, rate: 'auto', utilization: 0.6 }),
  /** After the load, how long the run may go without a task settling before what is still open counts as lost. */
  settleTimeout: TimeSpec.default('60s'),
  timeline: z.array(FaultEntry).default([]),
});
export type Scenario = z.infer<typeof Scenario>;
export type ScenarioInput = z.input<typeof Scenario>;

/** Turns zod issues into `path: message` lines that name the bad field. */
export function describeIssues(
  issues: readonly z.core.$ZodIssue[],
  input: unknown,
): { path: string; message: string }[] {
  return issues.map((issue) => {
    let path = formatPath(issue.path, input);
    let message = issue.message;
    if (issue.code === 'unrecognized_keys') {
      path = issue.keys.map((k) => (path ? `${path}.${k}` : k)).join(', ');
      message = `unknown field${issue.keys.length > 1 ? 's' : ''}`;
    }
    return { path: path || '(top level)', message };
  });
}

/** `timeline[3] (slow).factor`: indexes in brackets, and the fault kind of a timeline entry. */
function formatPath(path: readonly PropertyKey[], input: unknown): string {
  let out = '';
  let node: unknown = input;
  for (const key of path) {
    if (typeof key === 'number') {
      out += `[${key}]`;
      node = Array.isArray(node) ? node[key] : undefined;
      const kind = (node as { fault?: unknown } | undefined)?.fault;
      if (typeof kind === 'string') out += ` (${kind})`;
    } else {
      out += out ? `.${String(key)}` : String(key);
      node = node && typeof node === 'object' ? (node as Record<string, unknown>)[String(key)] : undefined;
    }
  }
  return out;
}

/** Validates a parsed scenario document; throws VALIDATION_FAILED naming every bad field. */
export function parseScenario(raw: unknown, source = 'scenario'): Scenario {
  const parsed = Scenario.safeParse(raw ?? {});
  if (parsed.success) return parsed.data;
  const issues = describeIssues(parsed.error.issues, raw);
  const first = issues[0]!;
  throw new CortenError(
    'VALIDATION_FAILED',
    `${source} is not a valid scenario: ${first.path}: ${first.message}${issues.length > 1 ? ` (and ${issues.length - 1} more)` : ''}`,
    {
      details: { issues },
    },
  );
}

/** Reads a scenario file (`.yaml`, `.yml` or `.json`; YAML is a superset of JSON, so either parses). */
export function loadScenario(file: string): Scenario {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (thrown) {
    throw new CortenError('NOT_FOUND', `cannot read scenario ${file}: ${(thrown as Error).message}`, { cause: thrown });
  }
  let raw: unknown;
  try {
    raw = parseYaml(text, { prettyErrors: true });
  } catch (thrown) {
    throw new CortenError('MALFORMED_JSON', `${file} is not valid YAML or JSON: ${(thrown as Error).message}`, {
      cause: thrown,
    });
  }
  return parseScenario(raw, file);
}

/**
 * A time spec in ms; `windowMs` is the load window that percentages refer to.
 * Parsing already checked the format.
 */
export function timeMs(spec: TimeSpec, windowMs: number): number {
  if (typeof spec === 'number') return spec * 1000;
  const [, value, unit] = spec.match(TIME_PATTERN)!;
  const n = Number(value);
  switch (unit) {
    case 'ms':
      return n;
    case 's':
      return n * 1000;
    case 'm':
      return n * 60_000;
    default:
      return (n / 100) * windowMs;
  }
}
