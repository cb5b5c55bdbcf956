/**
 * The package's public API for apps. Nothing here is required to run under uwsgi-ts;
 * it gives apps that want them the uwsgi vars of a request, and the types of the uwsgi
 * handler shape (`exports.uwsgi = (request) => ({ status, headers, body })`).
 */
import type { IncomingMessage } from 'node:http';
import type { Environ } from './protocol/environ';
import { kEnviron, type UwsgiIncomingMessage } from './worker/node-adapter';
import { environOf } from './worker/fetch-adapter';

export type { Environ } from './protocol/environ';
export { kEnviron } from './worker/node-adapter';
export type { ExecutionContext, FetchHandler } from './worker/fetch-adapter';
export type { DirectBody, DirectHandler, DirectHeaders, DirectRequest, DirectResponse } from './worker/direct-adapter';

/** The uwsgi vars (REMOTE_ADDR, HTTPS, SERVER_NAME, ...) of a request served by
 * uwsgi-ts: an IncomingMessage of a (req, res) app or the Request of a fetch handler.
 * undefined for anything else. */
export function environ(req: IncomingMessage | Request): Environ | undefined {
  if (typeof Request !== 'undefined' && req instanceof Request) return environOf(req);
  return (req as Partial<UwsgiIncomingMessage>)[kEnviron];
}
