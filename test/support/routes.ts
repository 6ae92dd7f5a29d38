import type { Server } from 'node:http';

/** One route the express app answers: an HTTP method (or USE for mounted middleware) and a path pattern. */
export interface AppRoute {
  method: string;
  path: string;
}

interface LayerLike {
  route?: { path: string | RegExp | Array<string | RegExp>; methods: Record<string, boolean> };
  handle: { name?: string; stack?: LayerLike[] };
  rawPath?: unknown;
  name?: string;
}

/** The express app behind a portal's http server (createServer(app) makes it the request listener). */
export function expressAppOf(server: Server): { router: { stack: LayerLike[] } } {
  // socket.io wraps the request listener, so boot also keeps the app on the server (expressApp).
  const app = (server.listeners('request').find((l) => (l as { router?: unknown }).router) ??
    (server as { expressApp?: unknown }).expressApp) as { router?: { stack: LayerLike[] } } | undefined;
  if (!app?.router?.stack) throw new Error('the http server has no express app as its request listener');
  return app as { router: { stack: LayerLike[] } };
}

const join = (prefix: string, path: string): string =>
  (prefix + (path === '/' && prefix ? '' : path)).replace(/\/{2,}/g, '/') || '/';

function pathsOf(raw: unknown): string[] {
  const list = Array.isArray(raw) ? (raw.flat(Infinity) as unknown[]) : [raw];
  return list.map((p) => (typeof p === 'string' ? p : String(p)));
}

/**
 * Every route of an express 5 app, found by walking `app.router.stack` and the stacks of
 * mounted routers. Static file middleware is listed as `USE <mount path>`, so it needs a row
 * too; other plain middleware (parsers, guards) is not a route.
 */
export function listRoutes(server: Server): AppRoute[] {
  const found: AppRoute[] = [];
  const walk = (stack: LayerLike[], prefix: string): void => {
    for (const layer of stack) {
      if (layer.route) {
        const methods = Object.keys(layer.route.methods).map((m) => (m === '_all' ? 'ALL' : m.toUpperCase()));
        for (const path of pathsOf(layer.route.path))
          for (const method of methods) found.push({ method, path: join(prefix, path) });
        continue;
      }
      const paths = pathsOf(layer.rawPath ?? '/');
      if (Array.isArray(layer.handle.stack)) {
        for (const path of paths) walk(layer.handle.stack, join(prefix, path));
      } else if (layer.handle.name === 'serveStatic') {
        for (const path of paths) found.push({ method: 'USE', path: join(prefix, path) });
      }
    }
  };
  walk(expressAppOf(server).router.stack, '');
  const seen = new Set<string>();
  return found.filter((r) => {
    const key = `${r.method} ${r.path}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
