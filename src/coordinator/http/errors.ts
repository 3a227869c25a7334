/**
 * The one place where failures become HTTP responses, all in the envelope
 * `{ "error": { "code", "message", "details" } }`.
 */
import type { FastifyError, FastifyInstance } from 'fastify';
import { coerceError, CortenError } from '../../protocol/index.js';

/** Maps fastify's own errors (body parsing, limits) to ours. */
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
    default:
      if (error instanceof SyntaxError) return new CortenError('MALFORMED_JSON', 'the request body is not valid JSON');
      return null;
  }
}

export function installErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler((thrown: FastifyError, request, reply) => {
    const error = thrown instanceof CortenError ? thrown : (fromFastify(thrown) ?? coerceError(thrown));
    if (error.status >= 500) request.log.error({ err: thrown }, 'request failed');
    void reply.status(error.status).send(error.toEnvelope());
  });
  app.setNotFoundHandler((request, reply) => {
    const error = new CortenError('NOT_FOUND', `no route ${request.method} ${request.url.split('?')[0]}`);
    void reply.status(404).send(error.toEnvelope());
  });
}
