/**
 * The native connection path's JS side (DESIGN §3): native/connection_path.cc accepts,
 * reads, frames and parses on Node's own loop and enters JS once per request
 * (onRequest); this file turns that into an Exchange for the app adapters, exactly as
 * js-transport.ts does for a net.Socket, and sends the response back with ioWrite.
 *
 * Per request: no socket, no stream, no timer. The request's bytes are in a shared
 * arena that is only valid during the call, so what must outlive it (the vars as one
 * latin1 string, the parse tables, an inline body) is copied out at once. Response
 * writes made in one turn of the loop (head + body of a typical response, which
 * ServerResponse writes then ends synchronously) go to the kernel in one ioWrite; what
 * the kernel does not take is kept natively and reported back with a DRAIN event.
 */
import { markAsUntransferable } from 'node:worker_threads';
import { Environ } from '../protocol/environ';
import { latin1Slice } from '../protocol/latin1';
import { isBadRequest, readRequestHead, type BadRequest, type RequestHead } from '../protocol/request-head';
import { parseStatusCode } from '../protocol/parse-status';
import { simpleResponse } from '../protocol/response-head';
import {
  BODY_SLAB_BYTES,
  BODY_SLAB_MIN_FREE_BYTES,
  DRAIN_MAX_BYTES,
  DRAIN_TIMEOUT_MS,
  INLINE_BODY_MAX_BYTES,
  PARKED_BODY_MAX_BYTES,
  PACKET_HEADER_BYTES,
  WRITE_HIGH_WATER_BYTES,
} from '../protocol/limits';
import type { NativeIo } from '../addon';
import { beginObserved, endObserved, ObservedRequest, statusFromHead, type RequestObserver } from '../metrics/request-observer';
import { deliverPending, type BodySink, type Exchange, type ExchangeEvents, type WriteCallback } from './exchange';
import type { Transport, TransportOptions } from './js-transport';
import { ClientAbortError } from './client-abort-error';
import { rejectDetails } from './reject-details';
import { AbortReason, IoEvent, Limit, Rec, RejectReason, WRITE_CLOSED, WRITE_GONE } from './native-io-layout';

const NOOP_EVENTS: ExchangeEvents = { onDrain() {}, onAbort() {}, onClose() {} };


/** Encodings ioWrite encodes natively (utf8 is also what an absent encoding means). */
function isLatin1(encoding: BufferEncoding | undefined): boolean {
  return encoding === 'latin1' || encoding === 'binary';
}

/** Encodings ioWrite encodes natively (UTF-8, or latin1 with its flag). */
function isNativeEncoding(encoding: BufferEncoding | undefined): boolean {
  return encoding === undefined || encoding === 'utf8' || encoding === 'utf-8' || isLatin1(encoding);
}

function runCallbacks(callbacks: WriteCallback[], err: Error | null): void {
  for (const cb of callbacks) cb(err);
}

class NativeExchange implements Exchange {
  aborted = false;
  private events: ExchangeEvents = NOOP_EVENTS;
  private sink: BodySink | null = null;
  private pending: Buffer[] | null = null;
  /** Body bytes in `pending` that came after the exchange was handed over. */
  private parkedBytes = 0;
  private bodyDone: boolean;
  /** Response bytes written in this turn and not yet handed to native code. */
  private out: Buffer[] = [];
  /** A lone string write waiting in place of `out` (encoded natively, no Buffer made):
   * what ServerResponse writes for a typical response, head and body in one string. */
  private outString: string | null = null;
  private outLatin1 = false;
  private outBytes = 0;
  private corked = 0;
  private flushScheduled = false;
  /** Bytes native code holds because the kernel did not take them yet. */
  private queued = 0;
  /** Write callbacks waiting for their bytes to reach the kernel. */
  private callbacks: WriteCallback[] = [];
  private needDrain = false;
  private ended = false;
  private closed = false;
  /** Caps the request body discarded after the response (a refused request's own rule). */
  drainLimit = -1;
  /** The request as observers see it, from the parsed packet to the close. */
  private observed: ObservedRequest | null = null;

  constructor(
    private readonly transport: NativeTransport,
    readonly index: number,
    readonly gen: number,
    readonly environ: Environ,
    readonly head: RequestHead,
    readonly modifier2: number,
    firstChunk: Buffer | null,
    bodyComplete: boolean,
  ) {
    this.bodyDone = bodyComplete;
    if (firstChunk !== null) this.pending = [firstChunk];
  }

  get writableLength(): number {
    return this.outBytes + this.queued;
  }

  setEvents(events: ExchangeEvents): void {
    this.events = events;
  }

  startBody(sink: BodySink): void {
    this.sink = sink;
    const pending = this.pending;
    this.pending = null;
    this.parkedBytes = 0;
    deliverPending(sink, pending, () => this.pauseBody(), () => this.resumeBody());
    if (this.bodyDone && !this.closed) sink.onBodyEnd();
  }

  resumeBody(): void {
    if (!this.bodyDone && !this.closed) this.transport.io.ioResume(this.index, this.gen);
  }

  pauseBody(): void {
    if (!this.bodyDone && !this.closed) this.transport.io.ioPause(this.index, this.gen);
  }

  readBodyInto(target: Buffer, offset: number): boolean {
    if (this.bodyDone || this.closed || offset >= target.length) return false;
    return this.transport.io.ioBodyTarget(this.index, this.gen, target, offset) === 0;
  }

  cork(): void {
    this.corked++;
  }

  uncork(): void {
    if (this.corked === 0) return;
    if (--this.corked === 0 && (this.outBytes > 0 || this.callbacks.length > 0)) this.scheduleFlush();
  }

  write(chunk: Buffer | string, encoding: BufferEncoding | undefined, cb?: WriteCallback): boolean {
    if (this.aborted || this.closed || this.ended) {
      if (cb) process.nextTick(cb, new ClientAbortError('write after the connection closed'));
      return true;
    }
    if (typeof chunk === 'string' && this.out.length === 0 && this.outString === null && isNativeEncoding(encoding)) {
      if (chunk.length > 0) {
        this.outString = chunk;
        this.outLatin1 = isLatin1(encoding);
        // Code units: a lower bound of the bytes, good enough for back-pressure.
        this.outBytes += chunk.length;
      }
    } else {
      // A lone string may stay ahead of buffers (a head, then a body buffer: sent
      // together without a join); a second string turns it into a buffer.
      if (typeof chunk === 'string' && chunk.length > 0) this.stringToOut();
      const buf = typeof chunk === 'string' ? Buffer.from(chunk, encoding) : chunk;
      if (buf.length > 0) {
        this.out.push(buf);
        this.outBytes += buf.length;
      }
    }
    if (cb) this.callbacks.push(cb);
    if (this.corked === 0) this.scheduleFlush();
    if (this.writableLength < WRITE_HIGH_WATER_BYTES) return true;
    this.needDrain = true;
    return false;
  }

  end(): void {
    if (this.ended) return;
    this.ended = true;
    this.sink = null;
    if (this.aborted || this.closed) return;
    this.flush(true);
  }

  finish(chunk: Buffer | string, encoding: BufferEncoding | undefined): void {
    if (this.ended) return;
    if (this.outBytes > 0 || this.corked > 0 || this.callbacks.length > 0 || !isNativeEncoding(encoding)) {
      this.write(chunk, encoding);
      this.end();
      return;
    }
    // Nothing is waiting: the whole response goes to native code as it is.
    this.ended = true;
    this.sink = null;
    this.flushScheduled = false;
    if (this.aborted || this.closed) return;
    this.handOver(chunk, isLatin1(encoding), true, null);
  }

  destroy(_reason: string): void {
    if (this.closed) return;
    this.aborted = true;
    this.closed = true;
    this.transport.io.ioDestroy(this.index, this.gen);
    this.transport.forget(this);
    process.nextTick(closedTick, this, new ClientAbortError('the connection was destroyed'));
  }

  // ---- from the transport ----

  /** Header, vars block and the body that came with the packet count as request bytes;
   * later body chunks are added as they arrive. */
  beginObserved(observer: RequestObserver, varsBlockBytes: number, inlineBody: number): void {
    this.observed = beginObserved(observer, this.environ, PACKET_HEADER_BYTES + varsBlockBytes + inlineBody);
  }

  onBody(chunk: Buffer, complete: boolean): void {
    if (complete) this.bodyDone = true;
    if (this.observed !== null) this.observed.bytesIn += chunk.length;
    if (this.ended) return;
    if (this.sink !== null) {
      if (chunk.length > 0 && !this.sink.onBodyData(chunk)) this.pauseBody();
      if (complete && this.sink !== null) this.sink.onBodyEnd();
    } else if (chunk.length > 0) {
      (this.pending ??= []).push(chunk);
      this.parkedBytes += chunk.length;
      if (this.parkedBytes >= PARKED_BODY_MAX_BYTES) this.pauseBody();
    }
  }

  /** `bytes` of body went straight into the target given to readBodyInto(). */
  onBodyFilled(bytes: number, complete: boolean): void {
    if (complete) this.bodyDone = true;
    if (this.observed !== null) this.observed.bytesIn += bytes;
    if (this.ended || this.sink === null) return;
    this.sink.onBodyFilled?.(bytes);
    if (complete && this.sink !== null) this.sink.onBodyEnd();
  }

  onDrained(): void {
    this.queued = 0;
    this.afterFlushed();
  }

  onClosed(allSent: boolean, drained: number): void {
    if (this.observed !== null) this.observed.bytesIn += drained;
    if (this.closed) return;
    this.closed = true;
    this.transport.forget(this);
    closedTick(this, allSent ? null : new ClientAbortError('the connection closed before the response was sent'));
  }

  onAborted(reason: AbortReason, detail: number): void {
    if (this.closed) return;
    this.closed = true;
    this.transport.forget(this);
    const { reporter, bodyIdleTimeoutMs } = this.transport.options;
    let err: ClientAbortError;
    if (reason === AbortReason.BODY_TRUNCATED || reason === AbortReason.BODY_TIMEOUT) {
      const truncated = reason === AbortReason.BODY_TRUNCATED;
      const message = truncated ? rejectDetails.bodyTruncated(detail) : rejectDetails.bodyTimeout(bodyIdleTimeoutMs);
      err = new ClientAbortError(message);
      reporter.rejected(truncated ? 'body_truncated' : 'body_timeout', message);
      this.sink?.onBodyError(err);
    } else {
      err = new ClientAbortError(reason === AbortReason.BODY_RESET ? 'connection reset by the client' : 'client closed the connection');
    }
    this.abort(err, reason === AbortReason.RESET ? 'response' : 'body');
    closedTick(this, err);
  }

  /** Called once with the bytes gone or the connection over: callbacks, then 'close'. */
  finishClose(err: Error | null): void {
    const callbacks = this.callbacks;
    this.callbacks = [];
    runCallbacks(callbacks, err);
    if (this.observed !== null) {
      endObserved(this.transport.options.observer!, this.observed, this.aborted);
      this.observed = null;
    }
    this.events.onClose();
  }

  // ---- internals ----

  private abort(err: Error, phase: 'body' | 'response'): void {
    if (this.aborted) return;
    this.aborted = true;
    this.transport.options.reporter.clientAborted(phase);
    this.events.onAbort(err);
  }

  private scheduleFlush(): void {
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    // Inside the app's synchronous handling of this request, the transport flushes when
    // the handler returns (a response that also ended by then costs no tick at all).
    if (this.transport.dispatching !== this) process.nextTick(flushTick, this);
  }

  /** Hands what was written to native code; `end` also ends the response. */
  flush(end: boolean): void {
    this.flushScheduled = false;
    if (this.closed || (this.ended && !end)) return;
    let data: Buffer | string | null = this.outString;
    let tail: Buffer | null = null;
    const latin1 = this.outLatin1;
    const out = this.out;
    if (out.length > 0) {
      const joined = out.length === 1 ? out[0] : Buffer.concat(out);
      if (data === null) data = joined;
      else tail = joined;
      this.out = [];
    }
    this.outString = null;
    this.outBytes = 0;
    if (data === null && !end) {
      if (this.queued === 0) this.afterFlushed();
      return;
    }
    this.handOver(data, latin1, end, tail);
  }

  private handOver(data: Buffer | string | null, latin1: boolean, end: boolean, tail: Buffer | null): void {
    const transport = this.transport;
    const result = transport.io.ioWrite(this.index, this.gen, data, end, end ? this.drainLimit : -1, latin1, tail);
    const observed = this.observed;
    if (observed !== null && data !== null && result !== WRITE_GONE) {
      if (observed.status === 0) observed.status = statusFromHead(data);
      observed.bytesOut += transport.written();
    }
    if (result === WRITE_CLOSED) {
      this.closed = true;
      transport.forget(this);
      if (this.callbacks.length === 0 && this.events.closeInline === true) this.finishClose(null);
      else process.nextTick(closedTick, this, null);
      return;
    }
    if (result === WRITE_GONE) {
      // The peer reset the connection; native code has closed it.
      this.closed = true;
      transport.forget(this);
      process.nextTick(goneTick, this);
      return;
    }
    this.queued = result;
    if (result === 0) this.afterFlushed();
  }

  /** Turns a waiting lone string into the first Buffer of `out` (another chunk follows). */
  private stringToOut(): void {
    const s = this.outString;
    if (s === null) return;
    this.outString = null;
    const buf = Buffer.from(s, this.outLatin1 ? 'latin1' : 'utf8');
    this.outBytes += buf.length - s.length;
    this.out.unshift(buf);
  }

  flushIfScheduled(): void {
    if (this.flushScheduled) this.flush(false);
  }

  peerGone(): void {
    const err = new ClientAbortError('connection reset by the client');
    if (!this.ended) this.abort(err, 'response');
    closedTick(this, err);
  }

  private afterFlushed(): void {
    if (this.callbacks.length > 0) {
      const callbacks = this.callbacks;
      this.callbacks = [];
      process.nextTick(runCallbacks, callbacks, null);
    }
    if (this.needDrain && !this.ended) {
      this.needDrain = false;
      this.events.onDrain();
    }
  }
}

function flushTick(exchange: NativeExchange): void {
  exchange.flush(false);
}

function closedTick(exchange: NativeExchange, err: Error | null): void {
  exchange.finishClose(err);
}

function goneTick(exchange: NativeExchange): void {
  exchange.peerGone();
}

export class NativeTransport implements Transport {
  readonly kind = 'native';
  onIdle: (() => void) | null = null;
  /** Exchanges by connection slot: native code hands out small dense indexes. */
  private readonly exchanges: (NativeExchange | undefined)[] = [];
  private readonly arena: Buffer;
  private readonly record = new Int32Array(Rec.LENGTH);
  /** Where native code reads request body for the app (views of it are the chunks). */
  private bodySlab: Buffer | null = null;
  private stopped = false;
  /** The exchange whose request the app is handling synchronously right now. */
  dispatching: NativeExchange | null = null;

  constructor(
    readonly options: TransportOptions,
    readonly io: NativeIo,
  ) {
    this.arena = Buffer.alloc(PACKET_HEADER_BYTES + options.maxVarsBlock + INLINE_BODY_MAX_BYTES);
    const limits = new Float64Array(Limit.LENGTH);
    limits[Limit.MAX_VARS_BLOCK] = options.maxVarsBlock;
    limits[Limit.LIMIT_POST] = options.limitPost;
    limits[Limit.INLINE_BODY_MAX] = INLINE_BODY_MAX_BYTES;
    limits[Limit.HEAD_DEADLINE_MS] = options.headDeadlineMs;
    limits[Limit.BODY_IDLE_MS] = options.bodyIdleTimeoutMs;
    limits[Limit.DRAIN_TIMEOUT_MS] = DRAIN_TIMEOUT_MS;
    limits[Limit.DRAIN_MAX_BYTES] = DRAIN_MAX_BYTES;
    limits[Limit.MAX_CONNECTIONS] = options.maxConnections;
    limits[Limit.BODY_SLAB_MIN_FREE] = BODY_SLAB_MIN_FREE_BYTES;
    const { parser } = options;
    io.ioInit(
      this.arena,
      this.record,
      parser.pairs,
      parser.knownIndex,
      parser.meta,
      (block) => this.onRequest(block),
      (type, index, gen, a, b) => this.onEvent(type, index, gen, a, b),
      limits,
    );
    this.newBodySlab();
  }

  private newBodySlab(): void {
    const slab = Buffer.allocUnsafeSlow(BODY_SLAB_BYTES);
    // Native code writes into it by address and the app gets views of it: an app that
    // transferred a chunk's ArrayBuffer to another thread would detach it under the reader.
    markAsUntransferable(slab.buffer);
    this.io.ioBodySlab(slab);
    this.bodySlab = slab;
  }

  get openConnections(): number {
    return this.io.ioOpen();
  }

  async listen(fds: readonly number[], backlog: number): Promise<void> {
    const allow = this.options.allowList.cidrs.map((c) => `${c.address}/${c.prefix}`);
    for (const fd of fds) {
      // The master normally put the socket in the listening state already; this keeps
      // the configured backlog either way.
      const listened = this.io.listenFd(fd, backlog);
      if (listened < 0) throw new Error(`listen(2) on fd ${fd} failed: errno ${-listened}`);
      const rc = this.io.ioListen(fd, allow);
      if (rc < 0) throw new Error(`cannot watch listening fd ${fd}: error ${rc}`);
    }
  }

  async stopAccepting(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    if (this.io.ioStop() === 0) this.onIdle?.();
  }

  destroyAll(): void {
    const all = this.exchanges.filter((e): e is NativeExchange => e !== undefined);
    this.io.ioDestroyAll();
    for (const exchange of all) exchange.destroy('fast stop');
  }

  /** The bytes the last ioWrite took. */
  written(): number {
    return this.record[Rec.WRITTEN];
  }

  forget(exchange: NativeExchange): void {
    if (this.exchanges[exchange.index] === exchange) this.exchanges[exchange.index] = undefined;
  }

  private onRequest(block: string): void {
    const r = this.record;
    const index = r[Rec.INDEX];
    const gen = r[Rec.GEN];
    const { parser, limitPost } = this.options;
    const varsStart = r[Rec.VARS_START];
    const varsEnd = r[Rec.VARS_END];
    // Native code framed and parsed the packet into the parser's tables; the TS parser,
    // when chosen (--parser js), parses it again into the same tables, with the same result.
    if (parser.kind !== 'native') parser.parse(this.arena, varsStart, varsEnd);
    const environ = Environ.fromParsedBlock(parser, block);
    const head = readRequestHead(environ, limitPost);
    const bodyLength = r[Rec.BODY_LENGTH];
    let firstChunk: Buffer | null = null;
    if (bodyLength > 0) {
      const start = r[Rec.BODY_START];
      firstChunk = Buffer.allocUnsafe(bodyLength);
      this.arena.copy(firstChunk, 0, start, start + bodyLength);
    }
    const exchange = new NativeExchange(this, index, gen, environ, head as RequestHead, r[Rec.MODIFIER2], firstChunk, r[Rec.BODY_COMPLETE] === 1);
    this.exchanges[index] = exchange;
    const observer = this.options.observer;
    if (observer) exchange.beginObserved(observer, varsEnd - varsStart, bodyLength);
    if (isBadRequest(head)) {
      this.refuse(exchange, head);
      return;
    }
    this.dispatching = exchange;
    try {
      this.options.onRequest(exchange);
    } finally {
      this.dispatching = null;
      // Writes made during the handler and not ended with it go out now, before any tick.
      exchange.flushIfScheduled();
    }
  }

  /** A request that parsed but is unacceptable: answered here, never shown to the app. */
  private refuse(exchange: NativeExchange, head: BadRequest): void {
    this.options.reporter.badRequest(head.status, head.code, head.detail);
    exchange.drainLimit = head.drainBytes;
    exchange.write(simpleResponse(head.status), undefined);
    exchange.end();
  }

  private exchangeOf(index: number, gen: number): NativeExchange | undefined {
    const exchange = this.exchanges[index];
    return exchange !== undefined && exchange.gen === gen ? exchange : undefined;
  }

  private onEvent(type: IoEvent, index: number, gen: number, a: number, b: number): void {
    switch (type) {
      case IoEvent.BODY: {
        const exchange = this.exchangeOf(index, gen);
        if (exchange === undefined) return;
        const chunk = Buffer.allocUnsafe(a);
        this.arena.copy(chunk, 0, 0, a);
        exchange.onBody(chunk, b === 1);
        return;
      }
      case IoEvent.BODY_SLAB: {
        const slab = this.bodySlab!;
        const start = this.record[Rec.BODY_OFFSET];
        const end = start + a;
        // Native code reads into this slab only while it has BODY_SLAB_MIN_FREE_BYTES free
        // (given to it as Limit.BODY_SLAB_MIN_FREE).
        if (slab.length - end < BODY_SLAB_MIN_FREE_BYTES) this.newBodySlab();
        this.exchangeOf(index, gen)?.onBody(slab.subarray(start, end), b === 1);
        return;
      }
      case IoEvent.BODY_TARGET:
        this.exchangeOf(index, gen)?.onBodyFilled(a, b === 1);
        return;
      case IoEvent.DRAIN:
        this.exchangeOf(index, gen)?.onDrained();
        return;
      case IoEvent.CLOSE:
        this.exchangeOf(index, gen)?.onClosed(a === 1, b);
        return;
      case IoEvent.ABORT:
        this.exchangeOf(index, gen)?.onAborted(a as AbortReason, b);
        return;
      case IoEvent.DRAIN_GAVE_UP:
        this.options.reporter.drainGaveUp(a);
        return;
      case IoEvent.REJECT:
        this.onReject(index as RejectReason, gen, a, b);
        return;
      case IoEvent.IDLE:
        this.onIdle?.();
        return;
      case IoEvent.ACCEPT_PAUSED:
        this.options.reporter.acceptPaused(a, b);
        return;
    }
  }

  private onReject(reason: RejectReason, textLength: number, detail: number, parseStatus: number): void {
    const { reporter, maxVarsBlock, headDeadlineMs } = this.options;
    switch (reason) {
      case RejectReason.UNSUPPORTED_MODIFIER:
        return reporter.rejected('unsupported_modifier', rejectDetails.unsupportedModifier(detail));
      case RejectReason.VARS_TOO_LARGE:
        return reporter.rejected('vars_too_large', rejectDetails.varsTooLarge(detail, maxVarsBlock));
      case RejectReason.VARS_MALFORMED:
        return reporter.rejected(parseStatusCode(parseStatus), rejectDetails.malformedVars(detail));
      case RejectReason.HEADER_TRUNCATED:
        return reporter.rejected('header_truncated', rejectDetails.truncated(detail));
      case RejectReason.VARS_TRUNCATED:
        return reporter.rejected('vars_truncated', rejectDetails.truncated(detail));
      case RejectReason.HEAD_TIMEOUT:
        return reporter.rejected('head_timeout', rejectDetails.headTimeout(headDeadlineMs));
      case RejectReason.PEER_NOT_ALLOWED:
        return reporter.rejected('peer_not_allowed', rejectDetails.peerNotAllowed(latin1Slice.call(this.arena, 0, textLength)));
    }
  }
}
