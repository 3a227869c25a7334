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
