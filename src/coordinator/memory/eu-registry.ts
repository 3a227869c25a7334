/**
 * The EUs the coordinator knows, by id, by `name@version`, and by name (the
 * latest version), and who owns each name. EUs are immutable, so this cache
 * never goes stale: it is filled from the store at start and on every publish.
 */
import { CortenError, type EuManifest } from '../../protocol/index.js';
import type { EuRow } from '../../store/index.js';
import type { EuState } from './state.js';

/** Builds the input check of an EU (its input JSON Schema, compiled). */
export type InputCheckFactory = (eu: { id: string; manifest: EuManifest }) => (input: unknown) => string | null;

export class EuRegistry {
  private readonly byId = new Map<string, EuState>();
  private readonly byRef = new Map<string, EuState>();
  private readonly latest = new Map<string, EuState>();
  private readonly versions = new Map<string, EuState[]>();

  constructor(private readonly inputCheck: InputCheckFactory) {}

  fromRow(row: EuRow): EuState {
    const manifest = JSON.parse(row.manifest) as EuManifest;
    return this.make(row.id, manifest, JSON.parse(row.files) as Record<string, string>, row.publishedAt, row.owner);
  }

  make(id: string, manifest: EuManifest, files: Record<string, string>, publishedAt: number, owner: string): EuState {
    return { id, manifest, files, publishedAt, owner, checkInput: this.inputCheck({ id, manifest }) };
  }

  /** Who owns `name` (the publisher of its first version); undefined while nobody has published it. */
  nameOwner(name: string): string | undefined {
    return this.latest.get(name)?.owner;
  }

  add(eu: EuState): void {
    this.byId.set(eu.id, eu);
    this.byRef.set(`${eu.manifest.name}@${eu.manifest.version}`, eu);
    const versions = this.versions.get(eu.manifest.name) ?? [];
    if (!versions.some((v) => v.id === eu.id)) versions.push(eu);
    this.versions.set(eu.manifest.name, versions);
    const current = this.latest.get(eu.manifest.name);
    if (!current || compareSemver(eu.manifest.version, current.manifest.version) > 0)
      this.latest.set(eu.manifest.name, eu);
  }

  get(id: string): EuState | undefined {
    return this.byId.get(id);
  }

  byNameVersion(name: string, version: string): EuState | undefined {
    return this.byRef.get(`${name}@${version}`);
  }

  /** Resolves an id (`eu_…`), `name@version`, or a bare name (its latest version). */
  resolve(ref: string): EuState {
    const eu = ref.startsWith('eu_')
      ? this.byId.get(ref)
      : ref.includes('@')
        ? this.byRef.get(ref)
        : this.latest.get(ref);
    if (!eu)
      throw new CortenError(
        'EU_NOT_FOUND',
        `no EU '${ref}' is published; publish it first or check the name (GET /v1/eus lists them)`,
      );
    return eu;
  }

  /**
   * Resolves a workflow step's EU: an id (`eu_…`), a bare name (its latest
   * version), or `name@range` (the highest published version the range
   * admits: `^1`, `~1.2`, `1.2.0`, `1.x`, `*`). Undefined when none matches.
   */
  resolveRange(ref: string): EuState | undefined {
    if (ref.startsWith('eu_')) return this.byId.get(ref);
    const at = ref.indexOf('@');
    if (at < 0) return this.latest.get(ref);
    const name = ref.slice(0, at);
    const range = ref.slice(at + 1);
    let best: EuState | undefined;
    for (const eu of this.versions.get(name) ?? []) {
      if (!satisfiesRange(eu.manifest.version, range)) continue;
      if (!best || compareSemver(eu.manifest.version, best.manifest.version) > 0) best = eu;
    }
    return best;
  }

  all(): EuState[] {
    return [...this.byId.values()];
  }
}

/** Semver precedence (major.minor.patch, then a release ranks above its pre-releases). */
export function compareSemver(a: string, b: string): number {
  const [coreA = '', preA] = a.split('+')[0]!.split(/-(.*)/s);
  const [coreB = '', preB] = b.split('+')[0]!.split(/-(.*)/s);
  const na = coreA.split('.').map(Number);
  const nb = coreB.split('.').map(Number);
  for (let i = 0; i < 3; i++) {
    const d = (na[i] ?? 0) - (nb[i] ?? 0);
    if (d !== 0) return Math.sign(d);
  }
  if (preA === undefined && preB === undefined) return 0;
  if (preA === undefined) return 1;
  if (preB === undefined) return -1;
  const pa = preA.split('.');
  const pb = preB.split('.');
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const x = pa[i];
    const y = pb[i];
    if (x === undefined) return -1;
    if (y === undefined) return 1;
    const xn = /^\d+$/.test(x);
    const yn = /^\d+$/.test(y);
    if (xn && yn) {
      const d = Number(x) - Number(y);
      if (d !== 0) return Math.sign(d);
    } else if (xn !== yn) {
      return xn ? -1 : 1;
    } else if (x !== y) {
      return x < y ? -1 : 1;
    }
  }
  return 0;
}

/**
 * Whether `version` is in `range`: `*`, an exact `1.2.3`, a partial `1` / `1.2` / `1.x`
 * (any version with those leading parts), `^1.2.3` (same major; for 0.x, same minor),
 * `~1.2.3` (same major and minor), or `>=1.2.3`. Pre-releases match only an exact range.
 * A range of another shape matches nothing.
 */
export function satisfiesRange(version: string, range: string): boolean {
  const r = range.trim();
  if (r === '*' || r === '' || r === 'x') return !version.includes('-');
  if (/^\d+\.\d+\.\d+-/.test(r)) return version === r;
  if (version.includes('-')) return false;
  const m = /^(\^|~|>=)?(\d+)(?:\.(\d+|x|\*))?(?:\.(\d+|x|\*))?$/.exec(r);
  if (!m) return false;
  const [, op, majorText, minorText, patchText] = m;
  const v = version.split('+')[0]!.split('.').map(Number);
  const num = (t: string | undefined) => (t === undefined || t === 'x' || t === '*' ? undefined : Number(t));
  const major = Number(majorText);
  const minor = num(minorText);
  const patch = num(patchText);
  const floor = `${major}.${minor ?? 0}.${patch ?? 0}`;
  if (op === '>=') return compareSemver(version, floor) >= 0;
  if (op === '^') {
    if (compareSemver(version, floor) < 0) return false;
    if (major > 0 || minor === undefined) return v[0] === major;
    if (minor > 0 || patch === undefined) return v[0] === 0 && v[1] === minor;
    return v[0] === 0 && v[1] === 0 && v[2] === patch;
  }
  if (op === '~') {
    if (compareSemver(version, floor) < 0) return false;
    return v[0] === major && (minor === undefined || v[1] === minor);
  }
  return v[0] === major && (minor === undefined || v[1] === minor) && (patch === undefined || v[2] === patch);
}
