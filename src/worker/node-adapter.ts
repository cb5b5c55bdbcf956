/**
 * Serves a Node request listener `(req, res)` over an Exchange with real
 * http.IncomingMessage and http.ServerResponse objects (Express and Koa replace their
 * prototypes with their own subclasses of these, so look-alikes would lose behaviour).
 * What differs from node:http is set as own properties, which survive such prototype
 * swaps: a status check (100-599, nginx passes anything through), no Transfer-Encoding
 * ever (the body ends at the close), and the end of the response handed to the exchange.
 */
import { IncomingMessage, ServerResponse } from 'node:http';
import type { BodySink, Exchange, ExchangeEvents } from './exchange';
import { ExchangeSocket } from './exchange-socket';
import { buildRawHeaders } from './request-headers';
import { ResponseHeadError, isHopByHopHeader } from '../protocol/response-head';
import type { Environ } from '../protocol/environ';

export type RequestListener = (req: IncomingMessage, res: ServerResponse) => unknown;

/** The uwsgi vars of a request, for apps that need them (REMOTE_ADDR, HTTPS, ...). */
export const kEnviron: unique symbol = Symbol.for('uwsgi-ts.environ');

export interface UwsgiIncomingMessage extends IncomingMessage {
  [kEnviron]: Environ;
}

interface ResponseInternals {
  _header: string | null;
  _removedTE: boolean;
  _finish(): void;
  writeHead: ServerResponse['writeHead'];
}

function connReset(message: string): Error {
  const err = new Error(message) as Error & { code: string };
  err.code = 'ECONNRESET';
  return err;
}

const originalWriteHead = ServerResponse.prototype.writeHead as (
  this: ServerResponse,
  statusCode: number,
  reasonOrHeaders?: unknown,
  headers?: unknown,
) => ServerResponse;

/** node:http's private "a write returned false" flag: reset and 'drain' emitted when the
 * transport drains, as node:http's own socket drain handler does. Found by description
 * once, since it is not exported. */
const kNeedDrain: symbol | undefined = Object.getOwnPropertySymbols(
  new ServerResponse({ method: 'GET', httpVersionMajor: 1, httpVersionMinor: 1, headers: {} } as IncomingMessage),
).find((s) => s.description === 'kNeedDrain');
const originalFinish = (ServerResponse.prototype as unknown as ResponseInternals)._finish;

function dropTransferEncoding(obj: unknown): unknown {
  if (Array.isArray(obj)) {
    if (obj.length > 0 && Array.isArray(obj[0])) {
      return (obj as [string, unknown][]).filter((entry) => !isHopByHopHeader(String(entry[0]).toLowerCase()));
    }
    const out: unknown[] = [];
    for (let i = 0; i + 1 < obj.length; i += 2) {
      if (!isHopByHopHeader(String(obj[i]).toLowerCase())) out.push(obj[i], obj[i + 1]);
    }
    return out;
  }
  if (obj !== null && typeof obj === 'object') {
    let copy: Record<string, unknown> | null = null;
    for (const key of Object.keys(obj)) {
      if (isHopByHopHeader(key.toLowerCase())) {
        copy ??= { ...(obj as Record<string, unknown>) };
        delete copy[key];
      }
    }
    return copy ?? obj;
  }
  return obj;
}

/** Own-property writeHead: every head goes through it (node's implicit header calls
 * this.writeHead too). */
function writeHeadChecked(this: ServerResponse, statusCode: number, reason?: unknown, obj?: unknown): ServerResponse {
  const code = Number(statusCode);
  if (!Number.isInteger(code) || code < 100 || code > 599) {
    throw new ResponseHeadError('UWSGI_TS_INVALID_STATUS', `invalid status code ${String(statusCode)} (allowed: integers 100-599)`);
  }
  // Framing is the server's: the body ends when the connection closes.
  if (this.hasHeader('transfer-encoding')) this.removeHeader('transfer-encoding');
  if (this.hasHeader('connection')) this.removeHeader('connection');
  if (typeof reason === 'string') {
    return originalWriteHead.call(this, code, reason, dropTransferEncoding(obj));
  }
  return originalWriteHead.call(this, code, dropTransferEncoding(reason ?? obj));
}

/** Own-property _finish: runs inside res.end() once every byte is queued on the socket. */
function finishIntoExchange(this: ServerResponse): void {
  originalFinish.call(this);
  const req = this.req as IncomingMessage & {
    _consuming: boolean;
    _dump(): void;
    _readableState: { resumeScheduled: boolean };
  };
  // Like node:http: a body nobody reads is discarded, so the request can complete.
  if (!req._consuming && !req._readableState.resumeScheduled) req._dump();
  const socket = this.socket as ExchangeSocket | null;
  if (socket !== null) socket.end();
}

/** Both sides of one request's wiring to its exchange (one object, not two, per request):
 * body chunks into the IncomingMessage, drain/abort/close into the response and socket. */
class RequestWiring implements BodySink, ExchangeEvents {
  constructor(
    private readonly req: IncomingMessage,
    private readonly res: ServerResponse,
    private readonly socket: ExchangeSocket,
  ) {}
  onBodyData(chunk: Buffer): boolean {
    return this.req.push(chunk);
  }
  onBodyEnd(): void {
    this.req.complete = true;
    this.req.push(null);
  }
  onBodyError(): void {
    // The exchange follows with onAbort, which destroys the request with ECONNRESET.
  }
  onDrain(): void {
    const res = this.res as ServerResponse & Record<symbol, boolean>;
    if (kNeedDrain !== undefined) {
      if (res[kNeedDrain] && !res.writableEnded) {
        res[kNeedDrain] = false;
        res.emit('drain');
      }
    } else if (res.writableNeedDrain) {
      res.emit('drain');
    }
    this.socket.emit('drain');
  }
  onAbort(err: Error): void {
    this.socket.markClosed();
    if (!this.req.complete) this.req.destroy(connReset('aborted'));
    void err;
  }
  onClose(): void {
    this.socket.markClosed();
  }
}

export interface NodeRequestPair {
  req: IncomingMessage;
  res: ServerResponse;
}

/** Builds req/res for an exchange and wires the body and the response to it. */
export function createNodeRequest(exchange: Exchange): NodeRequestPair {
  const { head, environ } = exchange;
  const socket = new ExchangeSocket(exchange);
  const req = new IncomingMessage(socket as never) as UwsgiIncomingMessage;
  req.method = head.method;
  req.url = head.url;
  req.httpVersionMajor = head.httpVersionMajor;
  req.httpVersionMinor = head.httpVersionMinor;
  req.httpVersion = `${head.httpVersionMajor}.${head.httpVersionMinor}`;
  const raw = buildRawHeaders(environ);
  (req as unknown as { _addHeaderLines(h: string[], n: number): void })._addHeaderLines(raw, raw.length);
  req[kEnviron] = environ;

  const res = new ServerResponse(req);
  const internals = res as unknown as ResponseInternals;
  res.shouldKeepAlive = false;
  res.useChunkedEncodingByDefault = true;
  internals._removedTE = true;
  internals.writeHead = writeHeadChecked as ServerResponse['writeHead'];
  internals._finish = finishIntoExchange;
  res.assignSocket(socket as never);

  const wiring = new RequestWiring(req, res, socket);
  exchange.setEvents(wiring);
  exchange.startBody(wiring);
  return { req, res };
}
