/**
 * The OpenAPI 3.1 document, generated from the route catalog and the zod
 * schemas it names (one source of truth: the route files validate with the
 * same schemas). Built from the routes the server actually registered, so a
 * route without a catalog entry still appears, flagged `x-undocumented`, and
 * a catalog entry whose route is gone does not.
 */
import { z } from 'zod';
import { ERROR_STATUS, ErrorEnvelopeSchema, type ErrorCode } from '../../protocol/index.js';
import { API_ROUTES, NAMED_SCHEMAS } from './api-catalog.js';
import { routeKey, type RawResponse, type ResponseDoc, type RouteDoc } from './route-docs.js';

type JsonSchema = Record<string, unknown>;

export interface OpenApiDocument {
  openapi: '3.1.0';
  info: { title: string; version: string; description: string };
  tags: { name: string }[];
  paths: Record<string, Record<string, unknown>>;
  components: { schemas: Record<string, JsonSchema>; securitySchemes: Record<string, unknown> };
}

/** A route as the server registered it. */
export interface RegisteredRoute {
  method: string;
  url: string;
}

const BODY_ERRORS: ErrorCode[] = [
  'MALFORMED_JSON',
  'JSON_TOO_DEEP',
  'VALIDATION_FAILED',
  'PAYLOAD_TOO_LARGE',
  'UNSUPPORTED_MEDIA_TYPE',
];
const AUTH_ERRORS: Record<RouteDoc['auth'], ErrorCode[]> = {
  public: [],
  optional: ['UNAUTHORIZED'],
  account: ['UNAUTHORIZED'],
  admin: ['UNAUTHORIZED', 'FORBIDDEN'],
};

const STATUS_TEXT: Record<number, string> = { 101: 'Switching Protocols', 200: 'OK', 201: 'Created', 202: 'Accepted' };

const isRaw = (doc: ResponseDoc): doc is RawResponse => !(doc instanceof z.ZodType);

/** `/v1/tasks/:id` → `/v1/tasks/{id}` */
export function openApiPath(url: string): string {
  return url.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
}

function strip(schema: JsonSchema): JsonSchema {
  const { $schema: _dialect, $id: _id, ...rest } = schema;
  return rest;
}

/** Converts the named schemas once, so every reference between them is a `$ref` into components. */
function components(): { schemas: Record<string, JsonSchema>; refOf: Map<z.ZodType, string> } {
  const refOf = new Map<z.ZodType, string>();
  const requests = z.registry<{ id: string }>();
  const answers = z.registry<{ id: string }>();
  const bodies = new Set(API_ROUTES.flatMap((r) => (r.body ? [r.body] : [])));
  for (const [id, schema] of Object.entries({ ErrorEnvelope: ErrorEnvelopeSchema, ...NAMED_SCHEMAS })) {
    (bodies.has(schema) ? requests : answers).add(schema, { id });
    refOf.set(schema, `#/components/schemas/${id}`);
  }
  const uri = (id: string) => `#/components/schemas/${id}`;
  const converted = {
    ...z.toJSONSchema(requests, { io: 'input', uri, unrepresentable: 'any' }).schemas,
    ...z.toJSONSchema(answers, { io: 'output', uri, unrepresentable: 'any' }).schemas,
  };
  const schemas = Object.fromEntries(Object.entries(converted).map(([id, s]) => [id, strip(s as JsonSchema)]));
  return { schemas, refOf };
}

function schemaOf(schema: z.ZodType, refOf: Map<z.ZodType, string>, io: 'input' | 'output'): JsonSchema {
  const ref = refOf.get(schema);
  return ref ? { $ref: ref } : strip(z.toJSONSchema(schema, { io, unrepresentable: 'any' }) as JsonSchema);
}

/** Each property of an object schema as one parameter. */
function parameters(schema: z.ZodObject, where: 'path' | 'query', notes: Record<string, string> = {}): JsonSchema[] {
  const json = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as {
    properties?: Record<string, JsonSchema>;
    required?: string[];
  };
  return Object.entries(json.properties ?? {}).map(([name, property]) => {
    const { description: own, ...rest } = property;
    const description = typeof own === 'string' ? own : notes[name];
    return {
      name,
      in: where,
      required: where === 'path' || (json.required ?? []).includes(name),
      ...(description !== undefined ? { description } : {}),
      schema: rest,
    };
  });
}

function pathParameters(route: RouteDoc): JsonSchema[] {
  const documented = route.params ? parameters(route.params, 'path') : [];
  const names = [...route.url.matchAll(/:([A-Za-z0-9_]+)/g)].map((m) => m[1]!);
  return names.map(
    (name) =>
      documented.find((p) => p.name === name) ?? { name, in: 'path', required: true, schema: { type: 'string' } },
  );
}

function responses(route: RouteDoc, refOf: Map<z.ZodType, string>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [status, doc] of Object.entries(route.responses)) {
    if (isRaw(doc)) {
      const content = { [doc.contentType]: doc.schema ? { schema: schemaOf(doc.schema, refOf, 'output') } : {} };
      out[status] = { description: doc.description, ...(Number(status) === 101 ? {} : { content }) };
    } else {
      out[status] = {
        description: STATUS_TEXT[Number(status)] ?? 'OK',
        content: { 'application/json': { schema: schemaOf(doc, refOf, 'output') } },
      };
    }
  }
  const codes = new Set<ErrorCode>([
    ...(route.body ? BODY_ERRORS : []),
    ...(route.query || route.params ? (['VALIDATION_FAILED'] as ErrorCode[]) : []),
    ...AUTH_ERRORS[route.auth],
    ...(route.errors ?? []),
  ]);
  const byStatus = new Map<number, ErrorCode[]>();
  for (const code of codes) byStatus.set(ERROR_STATUS[code], [...(byStatus.get(ERROR_STATUS[code]) ?? []), code]);
  for (const [status, list] of [...byStatus].sort((a, b) => a[0] - b[0])) {
    out[String(status)] = {
      description: `error codes: ${list.join(', ')}`,
      content: { 'application/json': { schema: { $ref: '#/components/schemas/ErrorEnvelope' } } },
    };
  }
  out.default = {
    description: 'any other error, in the same envelope',
    content: { 'application/json': { schema: { $ref: '#/components/schemas/ErrorEnvelope' } } },
  };
  return out;
}

const SECURITY: Record<RouteDoc['auth'], unknown[] | undefined> = {
  public: [],
  optional: [{}, { bearer: [] }],
  account: [{ bearer: [] }],
  admin: [{ bearer: [] }],
};

function operation(route: RouteDoc, refOf: Map<z.ZodType, string>): Record<string, unknown> {
  const params = [
    ...pathParameters(route),
    ...(route.query ? parameters(route.query, 'query', route.notes) : []),
    ...(route.headers ?? []).map((h) => ({
      name: h.name,
      in: 'header',
      required: false,
      description: h.description,
      schema: { type: 'string' },
    })),
  ];
  const who = { public: 'anyone', optional: 'anyone; a key widens it', account: 'an account key', admin: 'admin' };
  return {
    operationId: route.operationId,
    summary: route.summary,
    description: [route.description, `Caller: ${who[route.auth]}.`].filter(Boolean).join('\n\n'),
    tags: [route.tag],
    security: SECURITY[route.auth],
    ...(params.length > 0 ? { parameters: params } : {}),
    ...(route.body
      ? {
          requestBody: {
            required: true,
            content: { 'application/json': { schema: schemaOf(route.body, refOf, 'input') } },
          },
        }
      : {}),
    responses: responses(route, refOf),
  };
}

/** The document for the routes the server registered (HEAD routes, fastify's own, are left out). */
export function buildOpenApi(registered: readonly RegisteredRoute[]): OpenApiDocument {
  const { schemas, refOf } = components();
  const catalog = new Map(API_ROUTES.map((r) => [routeKey(r.method, r.url), r]));
  const paths: OpenApiDocument['paths'] = {};
  for (const { method, url } of registered) {
    if (method === 'HEAD' || method === 'OPTIONS') continue;
    const route = catalog.get(routeKey(method, url));
    const path = (paths[openApiPath(url)] ??= {});
    path[method.toLowerCase()] = route
      ? operation(route, refOf)
      : { summary: 'undocumented', 'x-undocumented': true, responses: { default: { description: 'unknown' } } };
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'corten coordinator API',
      version: 'v1',
      description:
        'Publish EUs, submit tasks, follow the event log, read the network and its economics. Errors always come as ' +
        '`{"error": {"code", "message", "details"}}` with a stable code. Send an account API key (`ck_…`) or the ' +
        'admin token as `Authorization: Bearer <token>`.',
    },
    tags: [...new Set(API_ROUTES.map((r) => r.tag))].map((name) => ({ name })),
    paths,
    components: {
      schemas,
      securitySchemes: {
        bearer: { type: 'http', scheme: 'bearer', description: "an account's API key (ck_…) or the admin token" },
      },
    },
  };
}
