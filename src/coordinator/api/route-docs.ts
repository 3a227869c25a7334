/**
 * What the OpenAPI document says of one route: the zod schemas its handler
 * validates with (params, query, body), what it answers, who may call it and
 * the error codes it may return. The route files validate with the same
 * schema objects, so the document cannot describe a shape the route does not
 * check. Every route the server registers must have one (the API document test
 * enumerates the server's routes); adding a route is adding one entry to
 * api-catalog.ts.
 */
import type { z } from 'zod';
import type { ErrorCode } from '../../protocol/index.js';

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/**
 * Who may call a route. `public`: anyone, no key. `optional`: anyone; a key
 * (an account's, or the admin token) widens what is shown or allowed.
 * `account`: an account key or the admin token. `admin`: the admin token.
 */
export type RouteAuth = 'public' | 'optional' | 'account' | 'admin';

/** A response that is not JSON (an event stream, metrics text, a page), or JSON described by a schema. */
export interface RawResponse {
  description: string;
  contentType: string;
  schema?: z.ZodType;
}

export type ResponseDoc = z.ZodType | RawResponse;

export interface RouteDoc {
  method: HttpMethod;
  /** Fastify's form: `/v1/tasks/:id`. */
  url: string;
  /** Unique, camelCase: names the operation (and its generated SDK method). */
  operationId: string;
  summary: string;
  description?: string;
  tag: string;
  auth: RouteAuth;
  /** Path parameters; a `:name` without a schema is documented as a string. */
  params?: z.ZodObject;
  query?: z.ZodObject;
  /** Descriptions of path and query parameters, by name, where their schemas carry none. */
  notes?: Record<string, string>;
  /** Headers the route reads besides Authorization. */
  headers?: { name: string; description: string }[];
  body?: z.ZodType;
  /** By status. A zod schema means JSON of that shape. */
  responses: Record<number, ResponseDoc>;
  /** Codes the route itself may answer; the body's, the query's and the auth's are added. */
  errors?: ErrorCode[];
}

/** `GET /v1/tasks/:id`: how a route is named in the catalog and in the server's route table. */
export function routeKey(method: string, url: string): string {
  return `${method.toUpperCase()} ${url}`;
}

/** `/v1/tasks/:id/receipt` → `Tasks`: the first segment after the version, capitalized. */
function tagOf(url: string): string {
  const segment = url.split('/').filter((s) => s !== '' && !/^v\d+$/.test(s))[0] ?? 'api';
  return segment.charAt(0).toUpperCase() + segment.slice(1);
}

/** `GET /v1/tasks/:id/receipt` → `getTasksIdReceipt`. */
function operationIdOf(method: string, url: string): string {
  const words = url.split(/[/:._-]/).filter((s) => s !== '' && !/^v\d+$/.test(s));
  return method.toLowerCase() + words.map((w) => w.charAt(0).toUpperCase() + w.slice(1)).join('');
}

/**
 * A catalog entry in one line: `doc('GET /v1/jobs/:id', 'A job with its steps', { auth: 'optional', responses:
 * { 200: JobViewSchema } })`. The tag defaults to the path's first segment, the operationId to method and path.
 */
export function doc(
  key: `${HttpMethod} /${string}`,
  summary: string,
  rest: Omit<RouteDoc, 'method' | 'url' | 'summary' | 'tag' | 'operationId'> &
    Partial<Pick<RouteDoc, 'tag' | 'operationId'>>,
): RouteDoc {
  const [method, url] = key.split(' ') as [HttpMethod, string];
  return { method, url, summary, tag: tagOf(url), operationId: operationIdOf(method, url), ...rest };
}
