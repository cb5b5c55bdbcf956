/**
 * Loads the app module (CJS or ESM, via import()) and works out what to serve from its
 * exports, with nothing uwsgi-specific required of the app:
 *   - a function: a Node request listener `(req, res)` (Express, connect, plain handlers);
 *   - an object with fetch(): a fetch-style handler (Hono, `export default { fetch }`);
 *   - a Koa app (callback() + use()): its callback();
 *   - a Fastify instance (ready() + server): its server, once ready;
 *   - an http.Server: its 'request' listeners;
 *   - nothing usable, but the app called listen() on an HTTP server (now or within
 *     APP_LISTEN_WAIT_MS): that server.
 */
import * as fs from 'node:fs';
import type * as http from 'node:http';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { RequestListener } from './node-adapter';
import type { FetchHandler } from './fetch-adapter';
import type { DirectHandler } from './direct-adapter';
import { isHttpServer } from './http-server-class';
import { typeName } from './type-name';

/** How long an app that exported nothing servable may take to call listen() (after
 * connecting to its database, say) before the worker gives up. */
export const APP_LISTEN_WAIT_MS = 30_000;

export type LoadedApp =
  | { kind: 'direct'; handler: DirectHandler; description: string }
  | { kind: 'listener'; listener: RequestListener; description: string }
  | { kind: 'fetch'; fetch: FetchHandler; description: string }
  | { kind: 'server'; server: http.Server; description: string };

export class AppLoadError extends Error {
  readonly code: 'UWSGI_TS_APP_LOAD_FAILED' | 'UWSGI_TS_APP_NO_HANDLER';
  constructor(code: AppLoadError['code'], message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'AppLoadError';
    this.code = code;
  }
}

function isObjectLike(x: unknown): x is Record<string, unknown> {
  return (typeof x === 'object' && x !== null) || typeof x === 'function';
}

/** What the module offers, or null when nothing in its exports can be served. */
export async function appFromExports(ns: Record<string, unknown>): Promise<LoadedApp | null> {
  let exported: unknown = ns.default !== undefined ? ns.default : ns;
  if (isObjectLike(exported) && typeof (exported as { then?: unknown }).then === 'function') {
    exported = await (exported as unknown as PromiseLike<unknown>);
  }
  const candidates = [exported];
  // An ESM module with only named exports, or CJS `exports.fetch = ...`.
  if (exported !== ns) candidates.push(ns);
  for (const x of candidates) {
    if (isHttpServer(x)) return { kind: 'server', server: x, description: 'an exported http.Server' };
    if (!isObjectLike(x)) continue;
    const uwsgiFn = x.uwsgi;
    if (typeof uwsgiFn === 'function') {
      return { kind: 'direct', handler: (uwsgiFn as DirectHandler).bind(x), description: 'a uwsgi handler' };
    }
    const fetchFn = x.fetch;
    if (typeof fetchFn === 'function') {
      return { kind: 'fetch', fetch: (fetchFn as FetchHandler).bind(x), description: 'a fetch handler' };
    }
    if (typeof x.callback === 'function' && typeof x.use === 'function' && typeof x !== 'function') {
      return { kind: 'listener', listener: (x.callback as () => RequestListener).call(x), description: 'a Koa app' };
    }
    if (typeof x.ready === 'function' && isHttpServer(x.server)) {
      await (x.ready as () => Promise<unknown>).call(x);
      return { kind: 'server', server: x.server, description: 'a Fastify instance' };
    }
    if (typeof x === 'function') {
      return { kind: 'listener', listener: x as RequestListener, description: 'a request listener' };
    }
  }
  return null;
}

/** What the module exported, for the "nothing to serve" message: the default export's own
 * keys when it is an object (module.exports = {...}), else the named exports. */
export function describeExports(ns: Record<string, unknown>): string {
  const exported = ns.default;
  if (exported !== null && typeof exported === 'object' && !Array.isArray(exported)) {
    const keys = Object.keys(exported);
    const inner = exported as Record<string, unknown>;
    return keys.length === 0 ? 'an empty object' : `an object with ${keys.map((k) => `${k}: ${typeName(inner[k])}`).join(', ')}`;
  }
  const keys = Object.keys(ns);
  if (keys.length === 0) return 'no exports';
  return keys.map((k) => `${k}: ${typeName(ns[k])}`).join(', ');
}

/** Whether Node loads `file` as an ES module: .mjs, or .js under a package.json that
 * says "type": "module" (the nearest one decides, as for Node itself). */
export function isEsmFile(file: string): boolean {
  if (file.endsWith('.mjs')) return true;
  if (!file.endsWith('.js')) return false;
  for (let dir = path.dirname(file); ; dir = path.dirname(dir)) {
    try {
      const pkg = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8')) as { type?: unknown };
      return pkg.type === 'module';
    } catch {
      // No (readable) package.json here: the next one up decides.
    }
    if (path.dirname(dir) === dir) return false;
  }
}

/**
 * Why there is no module at abs, in one sentence, or null when Node can resolve it (then
 * a failure is the module's own, and its stack says where). A missing app file otherwise
 * reads as Node's "Cannot find module" with the loader's own stack frames.
 */
function nothingToLoadAt(abs: string, appPath: string, cwd: string): string | null {
  try {
    require.resolve(abs);
    return null;
  } catch {
    // Not resolvable: say which way.
  }
  let stat: fs.Stats | null = null;
  try {
    stat = fs.statSync(abs);
  } catch {
    // Does not exist.
  }
  if (stat?.isDirectory()) return 'it is a directory with no index.js and no package.json "main" to load';
  if (stat !== null) return null; // A file require.resolve refused (no read permission, say): let the load say why.
  const relative = path.isAbsolute(appPath) ? '' : ` (a relative app path is resolved against the working directory, ${cwd})`;
  return `no such file${relative}`;
}

/**
 * Loads the app. CommonJS is loaded with require() and ES modules with import(): both
 * give the same exports, and a CommonJS app then does not pull Node's ES module loader
 * into every worker (about 2 MiB of RSS).
 */
export async function importApp(appPath: string, cwd: string): Promise<Record<string, unknown>> {
  const abs = path.resolve(cwd, appPath);
  const unloadable = nothingToLoadAt(abs, appPath, cwd);
  if (unloadable !== null) throw new AppLoadError('UWSGI_TS_APP_LOAD_FAILED', `cannot load the app ${abs}: ${unloadable}`);
  try {
    if (isEsmFile(abs)) return (await import(pathToFileURL(abs).href)) as Record<string, unknown>;
    return { default: require(abs) as unknown };
  } catch (err) {
    const e = err as Error;
    throw new AppLoadError('UWSGI_TS_APP_LOAD_FAILED', `cannot load the app ${abs}: ${e?.stack ?? String(err)}`, { cause: err });
  }
}
