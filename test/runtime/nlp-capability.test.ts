/**
 * The `nlp` and `embed.text` host capabilities, called directly and from an
 * EU in the sandbox.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CortenError } from '../../src/protocol/index.js';
import { NlpCapability } from '../../src/runtime/capabilities/nlp-capability.js';
import { loadWink } from '../../src/runtime/capabilities/wink.js';
import { createRuntime, loadEuFolder, type SandboxRuntime } from '../../src/runtime/index.js';
import { builtinEuDirs } from '../../src/eus/index.js';
import { fixture } from './support.js';

const nlp = new NlpCapability(loadWink());
const TEXT =
  'Shares in Acme rose 12% on Monday.\nAcme said profits were excellent.\n\nAnalysts did not like the outlook for Acme.';

describe('nlp, called directly', () => {
  it('splits sentences', () => {
    expect(nlp.sentences(TEXT)).toEqual([
      'Shares in Acme rose 12% on Monday.',
      'Acme said profits were excellent.',
      'Analysts did not like the outlook for Acme.',
    ]);
  });

  it('gives tokens with their sentence and line, or only the fields asked for', () => {
    const tokens = nlp.tokens(TEXT);
    const analysts = tokens.find((t) => t.value === 'Analysts')!;
    expect(analysts).toMatchObject({
      normal: 'analysts',
      stem: 'analyst',
      type: 'word',
      stop: false,
      sentence: 2,
      line: 3,
    });
    expect(tokens.find((t) => t.value === 'like')).toMatchObject({ negated: true });
    expect(tokens.some((t) => t.type === 'tabCRLF')).toBe(false);
    expect(nlp.tokens('Hello world', ['stem', 'line'])).toEqual([
      { stem: 'hello', line: 0 },
      { stem: 'world', line: 0 },
    ]);
  });

  it('gives the same tokens as columns, one array per field', () => {
    const fields = ['stem', 'type', 'stop', 'sentence', 'line'] as const;
    const tokens = nlp.tokens(TEXT, [...fields]);
    const columns = nlp.tokenColumns(TEXT, [...fields]);
    expect(Object.keys(columns)).toEqual([...fields]);
    for (const field of fields) expect(columns[field]).toEqual(tokens.map((token) => token[field]));
    expect(nlp.tokenColumns('Hello world', ['stem'])).toEqual({ stem: ['hello', 'world'] });
  });

  it('scores sentiment for the document and each sentence', () => {
    const result = nlp.sentiment('What a wonderful, delightful day. This is a terrible, awful mess.');
    expect(result.sentences).toHaveLength(2);
    expect(result.sentences[0]!.score).toBeGreaterThan(0);
    expect(result.sentences[1]!.score).toBeLessThan(0);
    expect(result.score).toBeGreaterThanOrEqual(-1);
  });

  it('ranks keywords by frequency, ties by first appearance', () => {
    expect(nlp.keywords(TEXT, 2)).toEqual([
      { term: 'acme', count: 3, score: 1 },
      { term: 'shares', count: 1, score: 1 / 3 },
    ]);
  });

  it('finds entities', () => {
    expect(nlp.entities(TEXT)).toEqual(
      expect.arrayContaining([
        { text: '12%', type: 'PERCENT', sentence: 0 },
        { text: 'Monday', type: 'DATE', sentence: 0 },
      ]),
    );
  });

  it('refuses bad arguments with VALIDATION_FAILED', () => {
    expect(() => nlp.sentences(42)).toThrow(CortenError);
    expect(() => nlp.keywords('text', 0)).toThrow(/n must be an integer/);
    expect(() => nlp.tokens('text', ['colour'])).toThrow(/fields must be/);
    expect(() => nlp.tokenColumns('text', undefined)).toThrow(/tokenColumns\(text, fields\): fields must be/);
    expect(() => nlp.tokenColumns('text', [])).toThrow(/fields must be/);
  });

  it('is deterministic', () => {
    expect(JSON.stringify(nlp.tokens(`${TEXT} `))).toBe(JSON.stringify(nlp.tokens(`${TEXT} `)));
  });
});

describe('nlp and embed.text, from the sandbox', () => {
  let runtime: SandboxRuntime;

  beforeAll(async () => {
    runtime = await createRuntime({ workers: 1 });
  });

  afterAll(async () => {
    await runtime.close();
  });

  it('advertises nlp and embed.text after probing them', () => {
    expect(runtime.capabilities).toEqual(['embed.text', 'nlp']);
  });

  it('answers an EU as it answers directly', async () => {
    const outcome = await runtime.execute({
      eu: await fixture('probe'),
      input: { probe: 'nlp', text: TEXT },
      seed: 'a',
      clock: 0,
    });
    expect(outcome).toMatchObject({
      ok: true,
      output: { sentences: nlp.sentences(TEXT), keywords: nlp.keywords(TEXT, 2) },
    });
  });

  it('turns a bad argument into a TypeError in the EU', async () => {
    const outcome = await runtime.execute({
      eu: await fixture('probe'),
      input: { probe: 'nlp-bad-argument' },
      seed: 'a',
      clock: 0,
    });
    expect(outcome).toMatchObject({
      ok: false,
      error: {
        code: 'EU_THREW',
        message: expect.stringMatching(/^TypeError: host\.nlp\.sentences\(text\): text must be a string/),
      },
    });
  });

  it('embeds text as a deterministic 512-dimensional unit vector', async () => {
    const embed = async (text: string) => {
      const outcome = await runtime.execute({
        eu: await fixture('probe'),
        input: { probe: 'embed', text },
        seed: 'a',
        clock: 0,
      });
      if (!outcome.ok) throw new Error(outcome.error.message);
      return outcome.output as number[];
    };
    const vector = await embed(TEXT);
    expect(vector).toHaveLength(512);
    expect(Math.hypot(...vector)).toBeCloseTo(1, 4);
    expect(await embed(TEXT)).toEqual(vector);
    expect(await embed('A cat sat on the mat.')).not.toEqual(vector);
  });

  it('runs the built-in sentiment EU', async () => {
    const eu = await loadEuFolder(builtinEuDirs().find((d) => d.endsWith('sentiment'))!);
    const outcome = await runtime.execute({
      eu,
      input: { text: 'I love this wonderful product. The delivery was awful.' },
      seed: 'a',
      clock: 0,
    });
    expect(outcome).toMatchObject({
      ok: true,
      output: {
        sentences: [
          { text: 'I love this wonderful product.', label: 'positive' },
          { text: 'The delivery was awful.', label: 'negative' },
        ],
      },
    });
  });
});
