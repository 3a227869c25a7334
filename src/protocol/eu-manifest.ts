/**
 * The EU manifest (`eu.json`) and the EU package that carries it. An EU is
 * immutable and content-addressed: its id is the hash of the canonical
 * manifest plus its files, so the same id always means the same code.
 */
import { z } from 'zod';
import { hashJson } from './canonical.js';

const SEMVER =
  /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?(?:\+[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?$/;

/** A capability name: `nlp`, `embed.text`, `llm.complete`, `llm:<model>`, `gpu` … */
export const CapabilityName = z
  .string()
  .regex(
    /^[a-z][a-z0-9._:/-]{0,127}$/,
    'a capability is lowercase letters, digits and . _ : / -, starting with a letter',
  );

export const RegionName = z.string().regex(/^[a-z0-9][a-z0-9-]{0,63}$/, 'a region is lowercase letters, digits and -');

export const EuName = z
  .string()
  .regex(
    /^[a-z][a-z0-9-]{0,63}$/,
    'a name is lowercase letters, digits and -, starting with a letter, at most 64 characters',
  );

export const SemverString = z.string().regex(SEMVER, 'a version is semver, e.g. 1.0.0');

/** A JSON Schema document; its well-formedness is checked when it is compiled. */
export const JsonSchemaDoc = z.record(z.string(), z.unknown());

export const Requirements = z.strictObject({
  /** CPU cores one execution needs. */
  cpu: z.number().min(0).max(1024).default(1),
  /** Memory one execution needs, in MB. */
  memoryMb: z.int().min(0).max(4_194_304).default(64),
  /** GPU memory one execution needs, in MB; 0 for none. */
  gpuMemoryMb: z.int().min(0).max(4_194_304).default(0),
  /** Host capabilities the operator must offer, e.g. `nlp` or `llm.complete`. */
  capabilities: z.array(CapabilityName).max(32).default([]),
  /** When set, only operators in these regions may run the EU. */
  regions: z.array(RegionName).max(64).optional(),
});
export type Requirements = z.infer<typeof Requirements>;

export const VerificationPolicy = z.enum(['exact', 'semantic', 'none']);
export type VerificationPolicy = z.infer<typeof VerificationPolicy>;

/**
 * Semantic policy: the facts check (src/coordinator/fact-check.ts). Outputs
 * that differ in numbers, entities, negation or direction words never agree.
 */
export const SemanticFacts = z.strictObject({
  /** Outputs must be grounded in the input (summaries): no number, entity or sentence the input does not support. */
  grounded: z.boolean().default(false),
  /** Grounded: the least share of each sentence's content words that the input must contain. */
  sentenceSupport: z.number().min(0).max(1).default(0.5),
  /**
   * Lazy outputs: the ratio of the shorter output's distinct content words to the longer's. Two outputs agree only
   * at or above `minCoverage`; below `lazyBelow` they disagree decisively; between the two is the grey zone.
   */
  minCoverage: z.number().min(0).max(1).default(0),
  lazyBelow: z.number().min(0).max(1).default(0),
});
export type SemanticFacts = z.infer<typeof SemanticFacts>;

export const Verification = z
  .strictObject({
    /** How replicas' outputs are compared: by canonical hash, by embedding similarity, or not at all. */
    policy: VerificationPolicy.default('exact'),
    /** How many agreeing outputs make a verdict. */
    quorum: z.int().min(1).max(15).default(2),
    /** The most replicas a task may run when results disagree. */
    maxReplicas: z.int().min(1).max(31).default(5),
    /** Semantic policy: the cosine similarity at or above which two outputs agree. */
    threshold: z.number().gt(0).max(1).optional(),
    /**
     * Semantic policy: the cosine below which two outputs disagree decisively (default: the threshold).
     * Between it and the threshold is the grey zone: escalated, never slashed.
     */
    dissentBelow: z.number().min(0).max(1).optional(),
    /** Semantic policy: compare the facts outputs state, not only their wording. */
    facts: SemanticFacts.optional(),
  })
  .superRefine((v, ctx) => {
    if (v.maxReplicas < v.quorum) {
      ctx.addIssue({
        code: 'custom',
        path: ['maxReplicas'],
        message: `maxReplicas (${v.maxReplicas}) must be at least quorum (${v.quorum})`,
      });
    }
    if (v.policy === 'semantic' && v.threshold === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['threshold'],
        message: 'the semantic policy needs a threshold between 0 and 1',
      });
    }
    if (v.dissentBelow !== undefined && v.threshold !== undefined && v.dissentBelow > v.threshold) {
      ctx.addIssue({
        code: 'custom',
        path: ['dissentBelow'],
        message: `dissentBelow (${v.dissentBelow}) must not exceed threshold (${v.threshold})`,
      });
    }
    if (v.policy !== 'semantic' && (v.dissentBelow !== undefined || v.facts !== undefined)) {
      ctx.addIssue({
        code: 'custom',
        path: ['facts'],
        message: 'dissentBelow and facts belong to the semantic policy',
      });
    }
    if (v.policy === 'none' && v.quorum !== 1) {
      ctx.addIssue({
        code: 'custom',
        path: ['quorum'],
        message: 'the none policy accepts one result: quorum must be 1',
      });
    }
  });
export type Verification = z.infer<typeof Verification>;

export const EuManifest = z.strictObject({
  name: EuName,
  version: SemverString,
  description: z.string().max(4000).default(''),
  /** The module, among the package's files, that exports `run(input, host)`. */
  entry: z
    .string()
    .regex(/^[A-Za-z0-9._/-]+\.m?js$/, 'entry is a relative .js path')
    .default('main.js'),
  requirements: Requirements.default({ cpu: 1, memoryMb: 64, gpuMemoryMb: 0, capabilities: [] }),
  verification: Verification.default({ policy: 'exact', quorum: 2, maxReplicas: 5 }),
  /** Price of one execution, in credits (integer, the ledger's smallest unit). */
  price: z.int().min(0).max(1_000_000_000).default(0),
  /** Wall-clock budget of one execution, in ms. */
  timeoutMs: z.int().min(10).max(3_600_000).default(10_000),
  /**
   * LLM EUs: the most tokens, prompt and completion together, one execution may use. The OpenAI-compatible
   * endpoint shows it as the model's context length and refuses a request that cannot fit. Absent: not an LLM EU,
   * or no limit of its own.
   */
  contextLength: z.int().min(1).max(10_000_000).optional(),
  inputSchema: JsonSchemaDoc.default({}),
  outputSchema: JsonSchemaDoc.default({}),
});
export type EuManifest = z.infer<typeof EuManifest>;
export type EuManifestInput = z.input<typeof EuManifest>;

/** Largest total size of an EU's files. */
export const MAX_EU_PACKAGE_BYTES = 4 * 1024 * 1024;

export const EuFiles = z
  .record(z.string().regex(/^[A-Za-z0-9._-][A-Za-z0-9._/-]*$/, 'file paths are relative, without ..'), z.string())
  .refine((files) => Object.keys(files).every((p) => !p.split('/').includes('..')), 'file paths may not contain ..');

/** What a developer publishes: a manifest and the package's JS files by relative path. */
export const EuPackageInput = z.strictObject({
  manifest: z.unknown(),
  files: EuFiles,
});

export interface EuPackage {
  id: string;
  manifest: EuManifest;
  files: Record<string, string>;
}

/** The content address of an EU: sha256 over the canonical {manifest, files}. */
export function euIdOf(manifest: EuManifest, files: Record<string, string>): string {
  return `eu_${hashJson({ manifest, files })}`;
}

/** `name@version` */
export function euRef(manifest: Pick<EuManifest, 'name' | 'version'>): string {
  return `${manifest.name}@${manifest.version}`;
}
