/**
 * The OpenAPI document: valid OpenAPI 3.1, every route the server registers is
 * in it with its catalog entry (routes are enumerated by the server's own
 * onRoute hook, so a route added later without an entry fails here), every
 * entry answers, the JSON answers match their schemas, and the reference page
 * loads nothing from anywhere but the coordinator.
 */
import { existsSync } from 'node:fs';
import { Validator } from '@seriousme/openapi-schema-validator';
import fc from 'fast-check';
import Fastify from 'fastify';
import { chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { z } from 'zod';
import { CortenClient } from '../src/client/index.js';
import { Coordinator } from '../src/coordinator/index.js';
import { API_ROUTES, doc, installApiDocs, openApiPath, type OpenApiDocument } from '../src/coordinator/api/index.js';
import {
  AccountIdParam,
  EuListSchema,
  EuViewSchema,
  EventsPageSchema,
  HealthSchema,
  OperatorIdParam,
  OperatorListSchema,
  RegionListSchema,
  RegionParam,
  WebhookParams,
  StatsSchema,
  TaskListSchema,
  TaskViewSchema,
} from '../src/protocol/index.js';
import { spinEu } from './fixtures/eus.js';
import { tempDir } from './helpers/temp.js';

const ADMIN = 'api-document-admin';
const CHROMIUM = '/usr/bin/chromium';

let coordinator: Coordinator;
let url: string;
let dir: ReturnType<typeof tempDir>;
let document: OpenApiDocument;
let taskId: string;
let euId: string;

beforeAll(async () => {
  dir = tempDir('api-document');
  coordinator = new Coordinator({
    dataDir: dir.path,
    port: 0,
    publishBuiltinEus: false,
    logLevel: 'silent',
    adminToken: ADMIN,
    allowAnonymous: true,
  });
  url = await coordinator.start();
  const client = new CortenClient(url, { adminToken: ADMIN });
  euId = (await client.publishEu(spinEu({ quorum: 1, iterations: 10 }))).id;
  taskId = (await client.submitTasks(euId, [{ n: 1 }])).taskIds[0]!;
  document = (await (await fetch(`${url}/v1/openapi.json`)).json()) as OpenApiDocument;
});

afterAll(async () => {
  await coordinator.stop();
  dir.cleanup(false);
});

const operations = (doc: OpenApiDocument) =>
  Object.entries(doc.paths).flatMap(([path, methods]) =>
    Object.entries(methods).map(([method, op]) => ({ path, method, op: op as Record<string, unknown> })),
  );

describe('the OpenAPI document', () => {
  it('is valid OpenAPI 3.1', async () => {
    expect(document.openapi).toBe('3.1.0');
    const validator = new Validator();
    const result = await validator.validate(document as unknown as Parameters<Validator['validate']>[0]);
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
  });

  it('documents every route the server registered, and nothing else', () => {
    const undocumented = operations(document)
      .filter((o) => o.op['x-undocumented'])
      .map((o) => `${o.method.toUpperCase()} ${o.path}`);
    expect(undocumented).toEqual([]);
    const served = new Set(operations(document).map((o) => `${o.method.toUpperCase()} ${o.path}`));
    const catalog = API_ROUTES.map((r) => `${r.method} ${openApiPath(r.url)}`);
    expect([...served].sort()).toEqual([...catalog].sort());
    const ids = API_ROUTES.map((r) => r.operationId);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('flags a route added without a catalog entry, wherever it is registered', async () => {
    const app = Fastify();
    installApiDocs(app);
    await app.register(async (scoped) => {
      scoped.get('/v1/tasks', async () => ({}));
      scoped.post('/v1/brand-new/:id', async () => ({}));
    });
    const doc = (await app.inject({ url: '/v1/openapi.json' })).json<OpenApiDocument>();
    await app.close();
    expect(doc.paths['/v1/brand-new/{id}']?.post).toMatchObject({ 'x-undocumented': true });
    expect(doc.paths['/v1/tasks']?.get).toMatchObject({ operationId: 'listTasks' });
    expect(doc.paths['/v1/eus']).toBeUndefined();
  });

  it('takes a new entry in one line, with its tag and operationId from the path', () => {
    expect(doc('GET /v1/jobs/:id', 'A job', { auth: 'optional', responses: {} })).toMatchObject({
      method: 'GET',
      url: '/v1/jobs/:id',
      tag: 'Jobs',
      operationId: 'getJobsId',
    });
  });

  it('names the request body schemas the routes validate with, and the error envelope', () => {
    const submit = document.paths['/v1/tasks']!.post as {
      requestBody: { content: Record<string, { schema: unknown }> };
      responses: Record<string, { description: string }>;
    };
    expect(submit.requestBody.content['application/json']!.schema).toEqual({
      $ref: '#/components/schemas/SubmitTasksRequest',
    });
    expect(submit.responses['422']!.description).toContain('INSUFFICIENT_BALANCE');
    expect(document.components.schemas.SubmitTasksRequest).toMatchObject({ required: ['eu', 'inputs'] });
    const list = document.paths['/v1/tasks']!.get as { parameters: { name: string; in: string }[] };
    expect(list.parameters.map((p) => p.name)).toEqual([
      'status',
      'eu',
      'id',
      'failure',
      'operator',
      'region',
      'since',
      'until',
      'order',
      'after',
      'limit',
    ]);
  });

  it('has every entry answering: no documented route is missing from the server', async () => {
    for (const route of API_ROUTES) {
      if (route.url === '/v1/events/stream') continue; // a stream: it never ends
      const path = route.url.replace(/:[A-Za-z0-9_]+/g, 'x');
      const init: RequestInit = { method: route.method };
      if (route.body) Object.assign(init, { body: '{}', headers: { 'content-type': 'application/json' } });
      const response = await fetch(`${url}${path}`, init);
      const text = await response.text();
      expect(text, `${route.method} ${route.url}`).not.toMatch(/"no route /);
    }
  });

  it('has every documented body and query schema enforced by its route', async () => {
    const sample: [z.ZodType, string][] = [
      [OperatorIdParam, `op_${'0'.repeat(20)}`],
      [AccountIdParam, `acct_${'0'.repeat(16)}`],
      [RegionParam, 'eu-west'],
      [WebhookParams, `op_${'0'.repeat(20)}`],
    ];
    const checked: string[] = [];
    for (const route of API_ROUTES) {
      if (!route.body && !route.query) continue;
      const value = sample.find(([schema]) => schema === route.params)?.[1] ?? 'x';
      const path = route.url.replace(':webhookId', 'wh_0').replace(/:[A-Za-z0-9_]+/g, value);
      // Every schema here is strict: a field it does not name is refused.
      const init: RequestInit = { method: route.method, headers: { authorization: `Bearer ${ADMIN}` } };
      if (route.body) {
        init.body = JSON.stringify({ notAField: 1 });
        (init.headers as Record<string, string>)['content-type'] = 'application/json';
      }
      const where = route.body ? 'body' : 'query';
      const response = await fetch(`${url}${path}${route.body ? '' : '?notAField=1'}`, init);
      const { error } = (await response.json()) as {
        error: { code: string; param?: string | null; details?: { issues: { path: string }[] } };
      };
      expect(error.code, `${route.method} ${route.url}`).toBe('VALIDATION_FAILED');
      if (route.tag === 'OpenAI') {
        // OpenAI's error object names the offending field in `param`, without the `body.` prefix.
        expect(error.param, `${route.method} ${route.url}`).toBeTruthy();
      } else {
        expect(error.details!.issues[0]!.path.startsWith(where), `${route.method} ${route.url}`).toBe(true);
      }
      checked.push(route.operationId);
    }
    expect(checked.length).toBeGreaterThanOrEqual(10);
  });

  it('describes the JSON the routes really answer', async () => {
    const answers: [string, z.ZodType][] = [
      ['/v1/eus', EuListSchema],
      [`/v1/eus/${euId}`, EuViewSchema],
      ['/v1/tasks', TaskListSchema],
      [`/v1/tasks/${taskId}`, TaskViewSchema],
      ['/v1/events', EventsPageSchema],
      ['/v1/stats', StatsSchema],
      ['/v1/operators', OperatorListSchema],
      ['/v1/regions', RegionListSchema],
      ['/v1/health', HealthSchema],
    ];
    for (const [path, schema] of answers) {
      const response = await fetch(`${url}${path}`, { headers: { authorization: `Bearer ${ADMIN}` } });
      expect(response.status, path).toBe(200);
      const parsed = schema.safeParse(await response.json());
      expect(parsed.error?.issues ?? [], path).toEqual([]);
    }
  });
});

describe('the API reference page', () => {
  it('is served from the coordinator, with its assets and a same-origin policy', async () => {
    const page = await fetch(`${url}/docs`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-security-policy')).toContain("default-src 'self'");
    const html = await page.text();
    const assets = [...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]!);
    expect(assets.length).toBeGreaterThan(2);
    for (const asset of assets) {
      expect(asset.startsWith('/docs/'), asset).toBe(true);
      expect((await fetch(`${url}${asset}`)).status, asset).toBe(200);
    }
    const missing = await fetch(`${url}/docs/..%2Fpackage.json`);
    expect(missing.status).toBe(404);
    expect(((await missing.json()) as { error: { code: string } }).error.code).toBe('NOT_FOUND');
  });

  it('answers any asset name with the file or NOT_FOUND, never an error of its own', async () => {
    const served = ['swagger-ui.css', 'swagger-ui-bundle.js', 'favicon-16x16.png', 'favicon-32x32.png', 'init.js'];
    const names = fc.oneof(fc.string({ maxLength: 60 }), fc.constantFrom(...served, '..', 'package.json', '%2e%2e'));
    await fc.assert(
      fc.asyncProperty(names, async (name) => {
        const response = await fetch(`${url}/docs/${encodeURIComponent(name)}`);
        const body = Buffer.from(await response.arrayBuffer());
        // `..` resolves above /docs/ before it is sent (to the dashboard at /): not an asset name at all.
        if (!new URL(response.url).pathname.startsWith('/docs/')) return response.status < 500;
        if (served.includes(name)) return response.status === 200 && body.length > 0;
        if (name === '') return response.status === 404;
        const code = (JSON.parse(body.toString()) as { error: { code: string } }).error.code;
        return response.status < 500 && ['NOT_FOUND', 'URI_TOO_LONG', 'MALFORMED_URL'].includes(code);
      }),
      { numRuns: 200 },
    );
  });

  it.skipIf(!existsSync(CHROMIUM))('renders every operation in a browser, requesting nothing elsewhere', async () => {
    const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
    try {
      const page = await browser.newPage();
      const requested: string[] = [];
      page.on('request', (request) => requested.push(request.url()));
      await page.goto(`${url}/docs`);
      await page.locator('.opblock').first().waitFor();
      await page.waitForLoadState('networkidle');
      expect(await page.locator('.opblock').count()).toBe(API_ROUTES.length);
      const origin = new URL(url).origin;
      expect(requested.filter((r) => !r.startsWith(origin) && !r.startsWith('data:'))).toEqual([]);
      expect(requested).toContain(`${origin}/v1/openapi.json`);
    } finally {
      await browser.close();
    }
  });
});
