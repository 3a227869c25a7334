/**
 * The API's own description: `GET /v1/openapi.json` (generated from the
 * route catalog and the routes the server registered) and the reference page
 * at `/docs`, Swagger UI served from the installed swagger-ui-dist package.
 * The page loads nothing from anywhere else; its Content-Security-Policy
 * forbids it to.
 */
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { CortenError } from '../../protocol/index.js';
import { buildOpenApi, type OpenApiDocument, type RegisteredRoute } from './openapi.js';

/** swagger-ui-dist's files the page uses, with their content types. */
const ASSETS: Record<string, string> = {
  'swagger-ui.css': 'text/css; charset=utf-8',
  'swagger-ui-bundle.js': 'text/javascript; charset=utf-8',
  'favicon-16x16.png': 'image/png',
  'favicon-32x32.png': 'image/png',
};

/** Our start script: the document's URL, and no call to swagger.io's online validator. */
const INIT_SCRIPT = `window.ui = SwaggerUIBundle({
  url: '/v1/openapi.json',
  dom_id: '#swagger-ui',
  deepLinking: true,
  validatorUrl: null,
  presets: [SwaggerUIBundle.presets.apis],
});
`;

const PAGE = `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>corten API reference</title>
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <link rel="stylesheet" href="/docs/swagger-ui.css">
  <link rel="icon" type="image/png" href="/docs/favicon-32x32.png">
</head>
<body>
  <div id="swagger-ui"></div>
  <script src="/docs/swagger-ui-bundle.js"></script>
  <script src="/docs/init.js"></script>
</body>
</html>
`;

/** Same origin only: scripts, styles, images (and data: images, which the stylesheet inlines), fetches. */
const CSP =
  "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; script-src 'self'; " +
  "connect-src 'self'; font-src 'self' data:; frame-ancestors 'self'";

function swaggerUiDir(): string {
  return dirname(createRequire(import.meta.url).resolve('swagger-ui-dist/package.json'));
}

/**
 * Records every route the server registers (call before any route is added) and serves the document and the
 * reference page. The document is built on first request, when every route is in.
 */
export function installApiDocs(app: FastifyInstance): void {
  const registered: RegisteredRoute[] = [];
  app.addHook('onRoute', (route) => {
    for (const method of [route.method].flat()) registered.push({ method, url: route.url });
  });

  let document: OpenApiDocument | null = null;
  app.get('/v1/openapi.json', async () => (document ??= buildOpenApi(registered)));

  app.get('/docs', async (_request, reply) =>
    reply.type('text/html; charset=utf-8').header('content-security-policy', CSP).send(PAGE),
  );

  const cache = new Map<string, Buffer>();
  app.get<{ Params: { asset: string } }>('/docs/:asset', async (request, reply) => {
    const { asset } = request.params;
    if (asset === 'init.js') return reply.type('text/javascript; charset=utf-8').send(INIT_SCRIPT);
    const type = Object.hasOwn(ASSETS, asset) ? ASSETS[asset] : undefined;
    if (type === undefined) throw new CortenError('NOT_FOUND', `no file ${asset.slice(0, 100)} in the reference page`);
    let body = cache.get(asset);
    if (!body) {
      body = await readFile(join(swaggerUiDir(), asset));
      cache.set(asset, body);
    }
    return reply.type(type).header('cache-control', 'public, max-age=3600').send(body);
  });
}
