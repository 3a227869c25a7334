/**
 * The web dashboard at `/`: the static single-page app `npm run build` writes to
 * dist/web (web/ holds its source). Its files are read once, at start, and served
 * from memory (about 100 KB): `GET /` is the page, `GET /assets/:file` one of the
 * built files found then, and nothing else under `/` touches the disk. When the app
 * was not built, `/` says how to build it. Nothing is fetched from elsewhere.
 *
 * The app reads the same API as every client, with the signed-in credential as its
 * Authorization header (the event stream too: it reads the stream with fetch, not
 * EventSource, so no credential ever travels in a URL).
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { CortenError } from '../../protocol/index.js';

/**
 * What the page may load and talk to: only this coordinator. uPlot and Preact set
 * element styles from script, hence the inline styles.
 */
const CONTENT_SECURITY_POLICY =
  "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; " +
  "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.woff2': 'font/woff2',
};

/** The built app's folder: dist/web under the package root, from src/ or dist/src alike. */
export function dashboardRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json')) && dirname(dir) !== dir) dir = dirname(dir);
  return join(dir, 'dist', 'web');
}

function send(reply: FastifyReply, body: Buffer, file: string, cache: string): FastifyReply {
  return reply
    .type(TYPES[extname(file)] ?? 'application/octet-stream')
    .header('content-security-policy', CONTENT_SECURITY_POLICY)
    .header('x-content-type-options', 'nosniff')
    .header('referrer-policy', 'no-referrer')
    .header('cache-control', cache)
    .send(body);
}

export function dashboardRoutes(app: FastifyInstance, root: string = dashboardRoot()): void {
  const page = existsSync(join(root, 'index.html')) ? readFileSync(join(root, 'index.html')) : null;
  const assetsDir = join(root, 'assets');
  const assets = new Map<string, Buffer>();
  if (page && existsSync(assetsDir)) {
    for (const file of readdirSync(assetsDir)) assets.set(file, readFileSync(join(assetsDir, file)));
  }

  app.get('/', async (_request, reply) => {
    if (!page) {
      throw new CortenError(
        'NOT_FOUND',
        'the dashboard is not built in this installation: run `npm run build` (it writes dist/web)',
      );
    }
    // The page is checked on every load, so a new build shows at once.
    return send(reply, page, 'index.html', 'no-cache');
  });

  app.get<{ Params: { file: string } }>('/assets/:file', async (request, reply) => {
    const body = assets.get(request.params.file);
    if (!body) throw new CortenError('NOT_FOUND', `no dashboard file ${request.params.file}`);
    // Built names carry their content's hash: a name never changes its content.
    return send(reply, body, request.params.file, 'public, max-age=31536000, immutable');
  });
}
