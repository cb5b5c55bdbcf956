/**
 * Serves a fetch-style handler (`{ fetch(request) }`, Hono and the Web-standard
 * frameworks): a Request in, a Response out, bodies streamed both ways. The request's
 * `signal` aborts when the client goes away. The handler also receives the uwsgi vars as
 * its second argument (where Hono puts `c.env`) and an execution context as its third.
 */
import { DISCARD_BODY, type Exchange, type ExchangeEvents } from './exchange';
import { DrainWaiter } from './drain-waiter';
import { buildRawHeaders, isHttps } from './request-headers';
import { serializeHead, isValidStatus, responseHasNoBody, simpleResponse } from '../protocol/response-head';
import type { Environ } from '../protocol/environ';
import type { Logger } from '../log';

export interface ExecutionContext {
  waitUntil(promise: unknown): void;
  passThroughOnException(): void;
}

export type FetchHandler = (request: Request, env: Environ, ctx: ExecutionContext) => Response | Promise<Response>;

/** Response bodies that are complete within one turn of the event loop and no larger than
 * this are sent with a Content-Length; longer or slower ones stream until the close. */
const KNOWN_LENGTH_BUFFER_MAX = 1024 * 1024;

/** Request body buffering inside the ReadableStream before the transport is paused. */
const REQUEST_BODY_HIGH_WATER_MARK = 64 * 1024;

const IMMEDIATE = Symbol('immediate');
const nextMacrotask = (): Promise<typeof IMMEDIATE> => new Promise((resolve) => setImmediate(resolve, IMMEDIATE));

const environs = new WeakMap<Request, Environ>();

/** The uwsgi vars of a Request this server created. */
export function environOf(request: Request): Environ | undefined {
  return environs.get(request);
}

class FetchEvents implements ExchangeEvents {
  readonly drain = new DrainWaiter();
  constructor(private readonly controller: AbortController) {}
  onDrain(): void {
    this.drain.wake();
  }
  onAbort(err: Error): void {
    this.controller.abort(err);
    this.drain.wake();
  }
  onClose(): void {
    this.drain.wake();
  }
}

function requestBody(exchange: Exchange): ReadableStream<Uint8Array> {
  return new ReadableStream<Uint8Array>(
    {
      start(controller) {
        exchange.startBody({
          onBodyData(chunk) {
            controller.enqueue(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.length));
            return (controller.desiredSize ?? 0) > 0;
          },
          onBodyEnd() {
            controller.close();
          },
          onBodyError(err) {
            controller.error(err);
          },
        });
      },
      pull() {
        exchange.resumeBody();
      },
    },
    { highWaterMark: REQUEST_BODY_HIGH_WATER_MARK, size: (chunk) => chunk.byteLength },
  );
}

export function createFetchRequest(exchange: Exchange, signal: AbortSignal): Request {
  const { head, environ } = exchange;
  const raw = buildRawHeaders(environ);
  const headers = new Headers();
  let host = '';
  for (let i = 0; i < raw.length; i += 2) {
    headers.append(raw[i], raw[i + 1]);
    if (raw[i] === 'host') host = raw[i + 1];
  }
  const url = /^[a-z][a-z0-9+.-]*:\/\//i.test(head.url)
    ? head.url
    : `${isHttps(environ) ? 'https' : 'http'}://${host}${head.url.startsWith('/') ? '' : '/'}${head.url}`;
  const method = head.method;
  const mayHaveBody = method !== 'GET' && method !== 'HEAD';
  const init: RequestInit & { duplex?: 'half' } = { method, headers, signal };
  if (mayHaveBody && head.contentLength > 0) {
    init.body = requestBody(exchange);
    init.duplex = 'half';
  } else {
    exchange.startBody(DISCARD_BODY);
  }
  const request = new Request(url, init);
  environs.set(request, environ);
  return request;
}

function declaredLength(headers: Headers): number {
  const value = headers.get('content-length');
  if (value === null || !/^[0-9]{1,15}$/.test(value)) return -1;
  return Number(value);
}

/** Writes a Response to the exchange; resolves when the last byte is queued. */
export async function writeFetchResponse(
  exchange: Exchange,
  events: FetchEvents,
  response: Response,
  progress: { headWritten: boolean },
): Promise<void> {
  const status = response.status;
  const noBody = responseHasNoBody(exchange.head.method, status);
  const body = response.body;
  if (noBody || body === null) {
    if (body !== null) void body.cancel().catch(() => {});
    const length = noBody ? declaredLength(response.headers) : 0;
    const head = serializeHead(status, response.statusText, response.headers, length);
    progress.headWritten = true;
    exchange.write(head, 'latin1');
    exchange.end();
    return;
  }
  const reader = body.getReader();
  let length = declaredLength(response.headers);
  const ready: Uint8Array[] = [];
  let pending: ReturnType<typeof reader.read> | null = reader.read();
  if (length < 0) {
    // Collect what the stream can give within this turn: if it ends, the length is known.
    let total = 0;
    for (;;) {
      const result = await Promise.race([pending!, nextMacrotask()]);
      if (result === IMMEDIATE) break;
      if (result.done) {
        pending = null;
        length = total;
        break;
      }
      ready.push(result.value);
      total += result.value.byteLength;
      pending = reader.read();
      if (total > KNOWN_LENGTH_BUFFER_MAX) break;
    }
  }
  const head = serializeHead(status, response.statusText, response.headers, length);
  progress.headWritten = true;
  exchange.cork();
  exchange.write(head, 'latin1');
  for (const chunk of ready) exchange.write(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength), undefined);
  exchange.uncork();
  while (pending !== null) {
    const result = await pending;
    if (result.done) break;
    if (exchange.aborted) {
      void reader.cancel().catch(() => {});
      return;
    }
    const chunk = result.value;
    pending = reader.read();
    if (!exchange.write(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength), undefined)) {
      await events.drain.wait();
    }
  }
  exchange.end();
}

export function serveFetch(handler: FetchHandler, exchange: Exchange, log: Logger): Promise<void> {
  const controller = new AbortController();
  const events = new FetchEvents(controller);
  exchange.setEvents(events);
  let request: Request;
  try {
    request = createFetchRequest(exchange, controller.signal);
  } catch (err) {
    log.warn('bad_request', { code: 'fetch_request', detail: (err as Error).message, uri: exchange.head.url });
    exchange.write(simpleResponse(400), undefined);
    exchange.end();
    return Promise.resolve();
  }
  const ctx: ExecutionContext = {
    waitUntil(promise) {
      Promise.resolve(promise).catch((err: unknown) => log.error('wait_until_rejected', { error: String((err as Error)?.stack ?? err) }));
    },
    passThroughOnException() {},
  };
  const progress = { headWritten: false };
  return Promise.resolve()
    .then(() => handler(request, exchange.environ, ctx))
    .then((response) => {
      if (!(response instanceof Response)) {
        throw new TypeError(`the fetch handler returned ${response === null ? 'null' : typeof response}, not a Response`);
      }
      if (!isValidStatus(response.status)) {
        throw new TypeError(`the fetch handler returned a Response with status ${response.status}`);
      }
      return writeFetchResponse(exchange, events, response, progress);
    })
    .catch((err: unknown) => {
      if (exchange.aborted) return;
      log.error('app_error', { method: exchange.head.method, uri: exchange.head.url, error: String((err as Error)?.stack ?? err) });
      if (!progress.headWritten) {
        exchange.write(simpleResponse(500), undefined);
        exchange.end();
      } else {
        exchange.destroy('the response body failed');
      }
    });
}
