/**
 * Serves a uwsgi handler, the app shape that maps one to one onto the connection path:
 *
 *   exports.uwsgi = (request) => ({ status: 200, headers: { 'content-type': 'text/plain' }, body: 'hello\n' });
 *
 * One call in with the request already parsed, one response object out (or a promise of
 * one); a string or byte body goes to the transport in a single write together with its
 * head, so a small response costs one send and a close. No stream, socket or header
 * object is made unless the app asks for one (request.headers, request.stream(),
 * request.signal); `for await (const chunk of request)` reads a body with none at all. Bodies can also be streamed out: any async iterable of strings or
 * bytes (a Node Readable is one), written with back-pressure and ended by the close.
 */
import { Readable } from 'node:stream';
import type { Logger } from '../log';
import type { Environ } from '../protocol/environ';
import { K } from '../protocol/known-keys';
import { endOfHead, headerLine, isValidStatus, responseHasNoBody, simpleResponse, statusLine } from '../protocol/response-head';
import type { BodySink, Exchange, ExchangeEvents } from './exchange';
import { DrainWaiter } from './drain-waiter';
import { BodyIterator } from './body-iterator';
import { CollectSink } from './collect-sink';
import { typeName } from './type-name';
import { buildRawHeaders, isHttps } from './request-headers';

export type DirectBody = string | Uint8Array | AsyncIterable<string | Uint8Array> | null | undefined;

export type DirectHeaders =
  | Readonly<Record<string, string | number | readonly string[] | undefined>>
  | Iterable<readonly [string, string]>;

export interface DirectResponse {
  /** 100-599; 200 when absent. */
  status?: number;
  /** The reason phrase; the standard one for the status when absent. */
  statusText?: string;
  headers?: DirectHeaders;
  body?: DirectBody;
}

export type DirectHandler = (request: DirectRequest) => DirectResponse | PromiseLike<DirectResponse>;

export class DirectResponseError extends TypeError {
  readonly code = 'UWSGI_TS_INVALID_RESPONSE';
}

class StreamSink implements BodySink {
  constructor(private readonly stream: Readable) {}
  onBodyData(chunk: Buffer): boolean {
    return this.stream.push(chunk);
  }
  onBodyEnd(): void {
    this.stream.push(null);
  }
  onBodyError(err: Error): void {
    this.stream.destroy(err);
  }
}

/** The request a uwsgi handler receives. Everything beyond method and url is made on
 * first use. The body can be read once: buffer(), text(), json(), stream(), or by
 * iterating the request itself. */
export class DirectRequest implements ExchangeEvents {
  /** Nothing here needs the close on a tick of its own. */
  readonly closeInline = true;
  readonly method: string;
  /** The request target as the client sent it (REQUEST_URI). */
  readonly url: string;
  private headerObject: Record<string, string> | null = null;
  private controller: AbortController | null = null;
  private bodyTaken = false;
  /** Made when a streamed response first waits for room. */
  private drain: DrainWaiter | null = null;
  /** Set once the peer went away; later body reads and writes fail with it. */
  private abortError: Error | null = null;

  constructor(private readonly exchange: Exchange) {
    this.method = exchange.head.method;
    this.url = exchange.head.url;
  }

  /** The uwsgi vars (REMOTE_ADDR, HTTPS, SCRIPT_NAME, ...). */
  get environ(): Environ {
    return this.exchange.environ;
  }

  /** Request headers with lower-case names, as node:http gives them. */
  get headers(): Record<string, string> {
    if (this.headerObject === null) {
      const raw = buildRawHeaders(this.exchange.environ);
      const headers: Record<string, string> = {};
      for (let i = 0; i < raw.length; i += 2) headers[raw[i]] = raw[i + 1];
      this.headerObject = headers;
    }
    return this.headerObject;
  }

  /** The path part of the url (no query string). */
  get path(): string {
    const q = this.url.indexOf('?');
    return q < 0 ? this.url : this.url.slice(0, q);
  }

  /** The query string without its '?', or ''. */
  get query(): string {
    const q = this.url.indexOf('?');
    return q < 0 ? '' : this.url.slice(q + 1);
  }

  get remoteAddress(): string {
    return this.exchange.environ.getKnown(K.REMOTE_ADDR) ?? '';
  }

  get https(): boolean {
    return isHttps(this.exchange.environ);
  }

  /** Request body bytes announced by CONTENT_LENGTH (0 when there is none). */
  get contentLength(): number {
    return this.exchange.head.contentLength;
  }

  /** Aborts when the client goes away before the response is complete. */
  get signal(): AbortSignal {
    if (this.controller === null) {
      this.controller = new AbortController();
      if (this.abortError !== null) this.controller.abort(this.abortError);
    }
    return this.controller.signal;
  }

  /** The whole body. */
  buffer(): Promise<Buffer> {
    const taken = this.takeBody();
    if (taken !== null) return Promise.reject(taken);
    const exchange = this.exchange;
    return new Promise((resolve, reject) => exchange.startBody(new CollectSink(this.contentLength, resolve, reject, exchange)));
  }

  async text(): Promise<string> {
    return (await this.buffer()).toString('utf8');
  }

  async json(): Promise<unknown> {
    return JSON.parse(await this.text()) as unknown;
  }

  /** The body as a Node Readable, with back-pressure to the client. */
  stream(): Readable {
    const taken = this.takeBody();
    if (taken !== null) {
      const failed = new Readable({ read() {} });
      process.nextTick(() => failed.destroy(taken));
      return failed;
    }
    const exchange = this.exchange;
    const stream = new Readable({ read: () => exchange.resumeBody() });
    exchange.startBody(new StreamSink(stream));
    return stream;
  }

  /** The body as it arrives: `for await (const chunk of request)`; the lightest way to
   * read a large body (no stream object), with back-pressure to the client. */
  [Symbol.asyncIterator](): AsyncIterableIterator<Buffer> {
    return new BodyIterator(this.exchange, this.takeBody());
  }

  private takeBody(): Error | null {
    if (this.bodyTaken) return new DirectResponseError('the request body was already read');
    this.bodyTaken = true;
    return this.abortError;
  }

  // ---- ExchangeEvents ----

  waitForDrain(): Promise<void> {
    return (this.drain ??= new DrainWaiter()).wait();
  }

  onDrain(): void {
    this.drain?.wake();
  }

  onAbort(err: Error): void {
    this.abortError = err;
    this.controller?.abort(err);
    this.drain?.wake();
  }

  onClose(): void {
    this.drain?.wake();
  }
}

/** The header lines of `headers` (Content-Length and hop-by-hop headers left out) and the
 * Content-Length the app declared there, or -1. */
function headerLines(headers: DirectHeaders | undefined): { lines: string; declared: number } {
  let lines = '';
  let declared = -1;
  if (headers === undefined || headers === null) return { lines, declared };
  const add = (name: string, value: unknown): void => {
    if (value === undefined) return;
    if (Array.isArray(value)) {
      for (const v of value) lines += headerLine(name, String(v));
      return;
    }
    const text = typeof value === 'string' ? value : String(value);
    if (name.length === 14 && name.toLowerCase() === 'content-length' && /^[0-9]{1,15}$/.test(text)) declared = Number(text);
    lines += headerLine(name, text);
  };
  if (typeof (headers as Iterable<unknown>)[Symbol.iterator] === 'function') {
    for (const [name, value] of headers as Iterable<readonly [string, string]>) add(name, value);
  } else if (typeof headers === 'object') {
    const record = headers as Record<string, unknown>;
    for (const name in record) if (Object.hasOwn(record, name)) add(name, record[name]);
  } else {
    throw new DirectResponseError(`response headers must be an object or an iterable of [name, value], not ${typeName(headers)}`);
  }
  return { lines, declared };
}

function isAsciiOnly(s: string): boolean {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) > 0x7f) return false;
  return true;
}

function isAsyncIterable(x: unknown): x is AsyncIterable<string | Uint8Array> {
  return typeof (x as AsyncIterable<unknown>)[Symbol.asyncIterator] === 'function';
}

function asBuffer(chunk: string | Uint8Array): Buffer {
  if (typeof chunk === 'string') return Buffer.from(chunk, 'utf8');
  if (chunk instanceof Uint8Array) return Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
  throw new DirectResponseError(`a streamed response body yielded ${typeName(chunk)}, not a string or bytes`);
}

/** Writes a response; returns a promise only when the body streams. The head is checked
 * whole before anything is written, so a bad response can still become a 500. */
export function writeDirectResponse(exchange: Exchange, request: DirectRequest, response: DirectResponse): Promise<void> | undefined {
  if (response === null || typeof response !== 'object') {
    throw new DirectResponseError(`the uwsgi handler returned ${typeName(response)}, not a response object { status, headers, body }`);
  }
  const status = response.status ?? 200;
  if (!isValidStatus(status)) {
    throw new DirectResponseError(`the uwsgi handler returned status ${String(status)} (allowed: integers 100-599)`);
  }
  const { lines, declared } = headerLines(response.headers);
  const start = statusLine(status, response.statusText) + lines;
  const body = response.body;
  if (responseHasNoBody(exchange.head.method, status)) {
    let length = declared;
    if (exchange.head.method === 'HEAD' && status >= 200 && status !== 204 && status !== 304) {
      if (typeof body === 'string') length = Buffer.byteLength(body);
      else if (body instanceof Uint8Array) length = body.byteLength;
    }
    exchange.finish(start + endOfHead(length), 'latin1');
    return undefined;
  }
  if (body === undefined || body === null) {
    exchange.finish(start + endOfHead(0), 'latin1');
    return undefined;
  }
  if (typeof body === 'string') {
    const head = start + endOfHead(Buffer.byteLength(body));
    // One string, one write: the common case. A head with obs-text (latin1) bytes must not
    // be re-encoded as UTF-8 with the body; only the app's header lines and reason phrase
    // can carry any (standard status lines and the Content-Length line are ASCII).
    if (isAsciiOnly(lines) && (response.statusText === undefined || isAsciiOnly(response.statusText))) {
      exchange.finish(head + body, undefined);
    } else {
      exchange.write(head, 'latin1');
      exchange.finish(body, 'utf8');
    }
    return undefined;
  }
  if (body instanceof Uint8Array) {
    // Head and body reach the kernel together (one sendmsg on the native path).
    exchange.write(start + endOfHead(body.byteLength), 'latin1');
    exchange.finish(Buffer.isBuffer(body) ? body : Buffer.from(body.buffer, body.byteOffset, body.byteLength), undefined);
    return undefined;
  }
  if (!isAsyncIterable(body)) {
    throw new DirectResponseError(`a response body must be a string, bytes, an async iterable or null, not ${typeName(body)}`);
  }
  exchange.write(start + endOfHead(declared), 'latin1');
  return streamBody(exchange, request, body);
}

async function streamBody(exchange: Exchange, request: DirectRequest, body: AsyncIterable<string | Uint8Array>): Promise<void> {
  for await (const chunk of body) {
    if (exchange.aborted) return;
    if (!exchange.write(asBuffer(chunk), undefined)) await request.waitForDrain();
  }
  if (!exchange.aborted) exchange.end();
}

function failed(exchange: Exchange, log: Logger, err: unknown, headWritten: boolean): void {
  if (exchange.aborted) return;
  log.error('app_error', { method: exchange.head.method, uri: exchange.head.url, error: String((err as Error)?.stack ?? err) });
  if (headWritten) {
    exchange.destroy('the response body failed');
    return;
  }
  exchange.finish(simpleResponse(500), undefined);
}

function respond(exchange: Exchange, request: DirectRequest, response: DirectResponse, log: Logger): void {
  let streaming: Promise<void> | undefined;
  try {
    streaming = writeDirectResponse(exchange, request, response);
  } catch (err) {
    failed(exchange, log, err, false);
    return;
  }
  if (streaming !== undefined) streaming.then(undefined, (err: unknown) => failed(exchange, log, err, true));
}

export function serveDirect(handler: DirectHandler, exchange: Exchange, log: Logger): void {
  const request = new DirectRequest(exchange);
  exchange.setEvents(request);
  let result: DirectResponse | PromiseLike<DirectResponse>;
  try {
    result = handler(request);
  } catch (err) {
    failed(exchange, log, err, false);
    return;
  }
  if (result !== null && typeof result === 'object' && typeof (result as PromiseLike<DirectResponse>).then === 'function') {
    Promise.resolve(result).then(
      (response) => respond(exchange, request, response, log),
      (err: unknown) => failed(exchange, log, err, false),
    );
    return;
  }
  respond(exchange, request, result as DirectResponse, log);
}
