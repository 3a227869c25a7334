/**
 * The web dashboard at `/`: the static single-page app `npm run build` writes to
 * dist/web (web/ holds its source). It is served from files found at start, never
 * fetched from elsewhere; when the app was not built, `/` says how to build it.
 *
 * The app reads the same API as every client, with the signed-in credential as its
 * Authorization header (the event stream too: it reads the stream with fetch, not
 * EventSource, so no credential ever travels in a URL).
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance } from 'fastify';
import { CortenError } from '../../protocol/index.js';

/**
 * What the page may load and talk to: only this coordinator. uPlot and Preact set
 * element styles from script, hence the inline styles.
 */
const CONTENT_SECURITY_POLICY =
  "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; " +
  "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

/** The built app's folder: dist/web under the package root, from src/ or dist/src alike. */
export function dashboardRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json')) && dirname(dir) !== dir) dir = dirname(dir);
  return join(dir, 'dist', 'web');
}

export function dashboardRoutes(app: FastifyInstance, root: string = dashboardRoot()): void {
  if (!existsSync(join(root, 'index.html'))) {
    app.get('/', async () => {
      throw new CortenError(
        'NOT_FOUND',
        'the dashboard is not built in this installation: run `npm run build` (it writes dist/web)',
      );
    });
    return;
  }
  void app.register(fastifyStatic, {
    root,
    prefix: '/',
    // One route a built file, found at start: nothing else under / is served from disk.
    wildcard: false,
    decorateReply: false,
    // Ours, set below: the page revalidates, hashed assets are kept.
    cacheControl: false,
    index: ['index.html'],
    setHeaders(res, path) {
      res.setHeader('content-security-policy', CONTENT_SECURITY_POLICY);
      res.setHeader('x-content-type-options', 'nosniff');
      res.setHeader('referrer-policy', 'no-referrer');
      // Hashed asset names never change; the page itself is checked on every load.
      res.setHeader('cache-control', path.endsWith('index.html') ? 'no-cache' : 'public, max-age=31536000, immutable');
    },
  });
}
