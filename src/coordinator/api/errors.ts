/**
 * The one place where failures become HTTP responses, all in the envelope
 * `{ "error": { "code", "message", "details" } }`: errors our routes throw,
 * fastify's own (body parsing, limits, routing, URLs it cannot decode) and
 * requests node's HTTP parser refuses before fastify sees them.
 */
import type { Socket } from 'node:net';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { coerceError, CortenError, MAX_BODY_DEPTH, textTooDeep, type ErrorCode } from '../../protocol/index.js';

/** Our code for a client error fastify reports only by status. */
const CODE_OF_STATUS: Record<number, ErrorCode> = {
  400: 'MALFORMED_REQUEST',
  404: 'NOT_FOUND',
  408: 'REQUEST_TIMEOUT',
  413: 'PAYLOAD_TOO_LARGE',
  414: 'URI_TOO_LONG',
  415: 'UNSUPPORTED_MEDIA_TYPE',
  429: 'RATE_LIMITED',
  431: 'HEADERS_TOO_LARGE',
};

/** Maps fastify's own errors (body parsing, limits, routing) to ours. */
function fromFastify(error: FastifyError): CortenError | null {
  switch (error.code) {
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return new CortenError('MALFORMED_JSON', 'the request body is not valid JSON');
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new CortenError('PAYLOAD_TOO_LARGE', `the request body is larger than the limit (${error.message})`);
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new CortenError('UNSUPPORTED_MEDIA_TYPE', 'send JSON with content-type application/json');
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return new CortenError('VALIDATION_FAILED', 'the content-length header does not match the body');
    case 'FST_ERR_BAD_URL':
      return new CortenError(
        'MALFORMED_URL',
        'the URL has an escape that does not decode (a % must be followed by two hex digits)',
      );
    case 'FST_ERR_MAX_PARAM_LENGTH':
      return new CortenError('URI_TOO_LONG', 'a path parameter is longer than any id; check the URL');
    default: {
      if (error instanceof SyntaxError) return new CortenError('MALFORMED_JSON', 'the request body is not valid JSON');
      const code = typeof error.statusCode === 'number' ? CODE_OF_STATUS[error.statusCode] : undefined;
      return code ? new CortenError(code, error.message) : null;
    }
  }
}

/** Anything a route or fastify threw, as the CortenError the envelope shows. */
export function asCortenError(thrown: unknown): CortenError {
  return thrown instanceof CortenError ? thrown : (fromFastify(thrown as FastifyError) ?? coerceError(thrown));
}

function send(thrown: unknown, request: FastifyRequest, reply: FastifyReply): void {
  const error = asCortenError(thrown);
  if (error.status >= 500) request.log.error({ err: thrown }, 'request failed');
  void reply.status(error.status).send(error.toEnvelope());
}

/** Fastify's `frameworkErrors` option: URLs it cannot route (bad escapes, over-long parameters) get the envelope too.
 * */
export function frameworkErrors(error: FastifyError, request: FastifyRequest, reply: FastifyReply): void {
  send(error, request, reply);
}

/** Fastify's `clientErrorHandler` option: what node's HTTP parser refuses (headers too large, garbage, timeouts). */
export function clientErrorHandler(error: Error & { code?: string }, socket: Socket): void {
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  const refusal =
    error.code === 'HPE_HEADER_OVERFLOW'
      ? new CortenError('HEADERS_TOO_LARGE', 'the request headers are larger than the server accepts')
      : error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? new CortenError('REQUEST_TIMEOUT', 'the request did not arrive in time')
        : new CortenError('MALFORMED_REQUEST', 'the request is not valid HTTP');
  const body = JSON.stringify(refusal.toEnvelope());
  if (socket.writable) {
    socket.write(
      `HTTP/1.1 ${refusal.status} ${refusal.code}\r\nContent-Length: ${Buffer.byteLength(body)}\r\n` +
        `Content-Type: application/json\r\nConnection: close\r\n\r\n${body}`,
    );
  }
  socket.destroy(error);
}

/**
 * JSON is the only body the API takes, and its depth is checked on the raw
 * text before it is parsed: everything after parsing (zod, JSON Schema,
 * canonical hashing) recurses.
 */
function installJsonParser(app: FastifyInstance): void {
  app.removeAllContentTypeParsers();
  const parseJson = app.getDefaultJsonParser('error', 'error');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    if (textTooDeep(body as string, MAX_BODY_DEPTH)) {
      done(new CortenError('JSON_TOO_DEEP', `the request body nests deeper than ${MAX_BODY_DEPTH} levels`), undefined);
      return;
    }
    parseJson(request, body as string, done);
  });
}

export function installErrorHandling(app: FastifyInstance): void {
  installJsonParser(app);
  app.setErrorHandler((thrown: FastifyError, request, reply) => send(thrown, request, reply));
  app.setNotFoundHandler((request, reply) => {
    const error = new CortenError(
      'NOT_FOUND',
      `no route ${request.method} ${request.url.split('?')[0]!.slice(0, 200)}`,
    );
    void reply.status(404).send(error.toEnvelope());
  });
}
