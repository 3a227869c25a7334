/**
 * Fuzz of the operator owner's routes (standing, webhooks, delivery logs) on
 * a real coordinator process: fast-check sends garbled signed-request headers
 * and, under valid signatures, generated webhook registrations. For every
 * input: no 5xx, every error in the envelope, the process stays up.
 * Afterwards the operator has exactly the webhooks the accepted registrations
 * made (up to the per-operator bound), every one at an allowed host.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CortenClient } from '../src/client/index.js';
import { OPERATOR_REQUEST_HEADERS, signRequest, WEBHOOK_KINDS } from '../src/protocol/index.js';
import { LocalNetwork } from '../src/sim/index.js';
import { RawOperator } from './helpers/raw-operator.js';
import { tempDir } from './helpers/temp.js';

const RUNS = 1000;
const seed = Number(process.env.CORTEN_FUZZ_SEED ?? Math.floor(Math.random() * 2 ** 31));

let network: LocalNetwork;
let url: string;
let dir: ReturnType<typeof tempDir>;
let operator: RawOperator;
let failed = false;

beforeAll(async () => {
  console.log(`operator routes fuzz seed ${seed} (replay with CORTEN_FUZZ_SEED=${seed})`);
  dir = tempDir('operator-fuzz');
  network = new LocalNetwork({
    dir: dir.path,
    coordinatorArgs: ['--no-builtin-eus', '--webhook-hosts', '127.0.0.1,*.example.net'],
  });
  url = await network.startCoordinator();
  // Known to the coordinator, serving no EU, so it gets no work.
  operator = await RawOperator.connect(url, { eus: ['none'] });
});

afterAll(async () => {
  await network?.stop();
  dir?.cleanup(failed);
});

/** Runs the property from the printed seed; a failure keeps the data folder. */
async function check<T>(arbitrary: fc.Arbitrary<T>, property: (value: T) => Promise<void>): Promise<void> {
  try {
    await fc.assert(fc.asyncProperty(arbitrary, property), { numRuns: RUNS, seed });
  } catch (error) {
    failed = true;
    throw error;
  }
  expect(network.coordinator!.running).toBe(true);
}

const hex = (n: number) => fc.string({ unit: fc.constantFrom(...'0123456789abcdef'), minLength: n, maxLength: n });
const headerValue = fc.oneof(
  hex(64),
  hex(32),
  hex(128),
  fc.string({ maxLength: 70 }),
  fc.integer().map(String),
  fc.constantFrom('', ' ', '0', String(Date.now()), '99999999999999999', '-1', 'NaN'),
);

async function expectEnvelope(response: Response, what: string): Promise<unknown> {
  const text = await response.text();
  expect(response.status, `${what} → ${text.slice(0, 200)}`).toBeLessThan(500);
  if (response.status >= 400) {
    const envelope = JSON.parse(text) as { error?: { code?: unknown; message?: unknown } };
    expect(typeof envelope.error?.code, text.slice(0, 200)).toBe('string');
    expect(typeof envelope.error?.message).toBe('string');
    return undefined;
  }
  return JSON.parse(text) as unknown;
}

describe('operator routes fuzz', () => {
  it(`${RUNS} requests with garbled signatures: refused in the envelope, nothing registered`, async () => {
    const path = fc.constantFrom(
      `/v1/operators/${operator.operatorId}/standing`,
      `/v1/operators/${operator.operatorId}/webhooks`,
      `/v1/operators/${operator.operatorId}/webhooks/wh_1/deliveries`,
      `/v1/operators/op_00000000000000000000/webhooks`,
    );
    const input = fc.record({
      method: fc.constantFrom('GET', 'POST', 'DELETE'),
      path,
      // A valid signature, then some of its headers replaced or dropped.
      replace: fc.dictionary(fc.constantFrom(...Object.values(OPERATOR_REQUEST_HEADERS), 'authorization'), headerValue),
      drop: fc.subarray([...Object.values(OPERATOR_REQUEST_HEADERS)]),
      tamperPath: fc.boolean(),
    });
    await check(input, async ({ method, path: p, replace, drop, tamperPath }) => {
      // A host outside the allowed list: even a request whose signature stands registers nothing.
      const body = method === 'POST' ? { url: 'http://evil.com/x' } : undefined;
      const headers: Record<string, string> = { ...signRequest(operator.keys, method, p, body), ...replace };
      for (const name of drop) delete headers[name];
      if (body) headers['content-type'] = 'application/json';
      // Unchanged headers over the path they sign would be a valid request: change something.
      if (Object.keys(replace).length === 0 && drop.length === 0 && !tamperPath) tamperPath = true;
      const target = tamperPath ? `${p}?x=1` : p;
      const response = await fetch(`${url}${target}`, {
        method,
        headers,
        ...(body ? { body: JSON.stringify(body) } : {}),
      });
      const answer = await expectEnvelope(response, `${method} ${target}`);
      // Only a replaced header that happens to be the same value could pass: the signature covers the rest.
      if (answer !== undefined) expect(Object.keys(replace).every((k) => k === 'authorization')).toBe(true);
    });
    const owner = new CortenClient(url, { operatorKeys: operator.keys, adminToken: '' });
    expect(await owner.listWebhooks(operator.operatorId)).toEqual([]);
  });

  it(`${RUNS} signed registrations of generated bodies: accepted ones only, at allowed hosts, bounded`, async () => {
    const host = fc.constantFrom('127.0.0.1', 'a.example.net', 'example.net', 'evil.com', '169.254.169.254', '[::1]');
    const webhookUrl = fc.oneof(
      fc
        .tuple(fc.constantFrom('http', 'https', 'ftp', 'file', 'javascript'), host, fc.string({ maxLength: 10 }))
        .map(([scheme, h, rest]) => `${scheme}://${h}/${encodeURIComponent(rest)}`),
      fc.constantFrom('http://u:p@127.0.0.1/x', 'http://127.0.0.1:1/#frag', '127.0.0.1/x', '', 'x'.repeat(3000)),
      fc.string({ maxLength: 30 }),
    );
    const body = fc.oneof(
      {
        weight: 3,
        arbitrary: fc.record(
          {
            url: webhookUrl,
            kinds: fc.oneof(fc.subarray([...WEBHOOK_KINDS]), fc.array(fc.string({ maxLength: 8 }), { maxLength: 3 })),
            description: fc.oneof(fc.string({ maxLength: 30 }), fc.constant('d'.repeat(300))),
          },
          { requiredKeys: [] },
        ),
      },
      { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 3 }) },
    );
    const path = `/v1/operators/${operator.operatorId}/webhooks`;
    let accepted = 0;
    await check(body, async (b) => {
      const response = await fetch(`${url}${path}`, {
        method: 'POST',
        headers: { ...signRequest(operator.keys, 'POST', path, b), 'content-type': 'application/json' },
        body: JSON.stringify(b),
      });
      const created = (await expectEnvelope(response, JSON.stringify(b).slice(0, 100))) as
        { url: string; secret: string } | undefined;
      if (created) {
        accepted += 1;
        expect(new URL(created.url).hostname).toMatch(/^(127\.0\.0\.1|.*\.example\.net)$/);
        expect(created.secret).toMatch(/^[0-9a-f]{64}$/);
      }
    });
    const owner = new CortenClient(url, { operatorKeys: operator.keys, adminToken: '' });
    const webhooks = await owner.listWebhooks(operator.operatorId);
    expect(webhooks).toHaveLength(Math.min(accepted, 10));
    console.log(`operator routes fuzz: ${accepted} registrations accepted of ${RUNS}; ${webhooks.length} kept`);
  });
});
