/**
 * The reference transport: uwsgi over net.Socket, accepting on the listening fds the
 * master passed down. It pays Node's per-connection cost (a Socket and its stream
 * machinery for every request, since nginx never reuses uwsgi connections); the native
 * connection path avoids that, and this one stays as the fallback and the reference.
 */
import * as net from 'node:net';
import { AssembleResult, PacketAssembler } from '../protocol/packet-assembler';
import { Environ } from '../protocol/environ';
import { isBadRequest, readRequestHead, type RequestHead } from '../protocol/request-head';
import { parseStatusCode } from '../protocol/parse-status';
import { simpleResponse } from '../protocol/response-head';
import { DRAIN_MAX_BYTES, DRAIN_TIMEOUT_MS, MODIFIER1_PING, PARKED_BODY_MAX_BYTES, PING_REPLY } from '../protocol/limits';
import type { VarsParser } from '../protocol/vars-parser';
import { deliverPending, type BodySink, type Exchange, type ExchangeEvents, type ProtocolReporter, type RequestHandler, type WriteCallback } from './exchange';
import { DeadlineSweeper, type DeadlineItem } from './deadline-sweeper';
import { beginObserved, endObserved, ObservedRequest, type RequestObserver } from '../metrics/request-observer';
import type { PeerAllowList } from './peer-allow-list';
import { AcceptAction, acceptAction } from './accept-gate';
import { FdListener, type DupFd } from './fd-listener';
import { ClientAbortError } from './client-abort-error';
import { rejectDetails } from './reject-details';

export interface TransportOptions {
  parser: VarsParser;
  reporter: ProtocolReporter;
  onRequest: RequestHandler;
  /** Largest accepted vars block (--buffer-size). */
  maxVarsBlock: number;
  /** Largest accepted body, 0 = no limit (--limit-post). */
  limitPost: number;
  headDeadlineMs: number;
  bodyIdleTimeoutMs: number;
  /** Peers a TCP socket accepts (unix sockets have no peer address and skip the check). */
  allowList: PeerAllowList;
  /** Told about every request that parsed (metrics, request log); null: nobody watches. */
  observer?: RequestObserver | null;
  /** Open connections at which the worker stops accepting until one closes (--max-connections; 0 = no limit). */
  maxConnections: number;
  /** dup(2) from the addon, which lets the JS transport pause accepting; null without the addon. */
  dupFd: DupFd | null;
}

export interface Transport {
  readonly kind: 'js' | 'native';
  /** Starts accepting on already-listening (or bound) socket fds. */
  listen(fds: readonly number[], backlog: number): Promise<void>;
  /** Stops accepting; open connections carry on. */
  stopAccepting(): Promise<void>;
  /** Connections currently open (accepted and not yet closed). */
  readonly openConnections: number;
  /** Called whenever openConnections drops to 0. */
  onIdle: (() => void) | null;
  /** Closes every open connection now (fast stop). */
  destroyAll(): void;
}

const enum Phase {
  HEAD,
  BODY,
  CLOSED,
}

/** modifier1, datasize (2 bytes), modifier2. */
const PACKET_HEADER_BYTES = 4;

const NOOP_EVENTS: ExchangeEvents = { onDrain() {}, onAbort() {}, onClose() {} };

class JsExchange implements Exchange, DeadlineItem {
  environ!: Environ;
  head!: RequestHead;
  modifier2 = 0;
  aborted = false;
  deadlineAt: number;

  private phase = Phase.HEAD;
  private assembler: PacketAssembler | null;
  private events: ExchangeEvents = NOOP_EVENTS;
  private sink: BodySink | null = null;
  private pending: Buffer[] | null = null;
  /** Body bytes in `pending` that came after the exchange was handed over. */
  private parkedBytes = 0;
  private bodyRemaining = 0;
  private dispatched = false;
  private responseEnded = false;
  private drainedBytes = 0;
  /** The request as observers see it, from the parsed packet to the close. */
  private observed: ObservedRequest | null = null;

  constructor(
    private readonly socket: net.Socket,
    private readonly transport: JsTransport,
  ) {
    this.assembler = new PacketAssembler(transport.options.maxVarsBlock);
    this.deadlineAt = Date.now() + transport.options.headDeadlineMs;
    transport.sweeper.arm(this);
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('end', () => this.onEnd());
    socket.on('error', () => this.onSocketError());
    socket.on('close', () => this.onClose());
    socket.on('drain', () => this.events.onDrain());
  }

  get writableLength(): number {
    return this.socket.writableLength;
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
    if (this.bodyRemaining === 0 && this.phase === Phase.BODY) sink.onBodyEnd();
  }

  resumeBody(): void {
    if (this.phase === Phase.BODY) this.socket.resume();
  }

  pauseBody(): void {
    if (this.phase === Phase.BODY && this.bodyRemaining > 0) this.socket.pause();
  }

  cork(): void {
    this.socket.cork();
  }

  uncork(): void {
    this.socket.uncork();
  }

  write(chunk: Buffer | string, encoding: BufferEncoding | undefined, cb?: WriteCallback): boolean {
    if (this.aborted || this.phase === Phase.CLOSED) {
      if (cb) process.nextTick(cb, new ClientAbortError('write after the connection closed'));
      return true;
    }
    this.observed?.sent(chunk, encoding);
    return this.socket.write(chunk, encoding as BufferEncoding, cb);
  }

  finish(chunk: Buffer | string, encoding: BufferEncoding | undefined): void {
    this.write(chunk, encoding);
    this.end();
  }

  end(): void {
    if (this.responseEnded) return;
    this.responseEnded = true;
    if (this.aborted || this.phase === Phase.CLOSED) return;
    if (this.bodyRemaining > 0) {
      // Read and discard what is left of the body before closing, within bounds.
      this.sink = null;
      this.deadlineAt = Date.now() + DRAIN_TIMEOUT_MS;
      this.transport.sweeper.arm(this);
      this.socket.resume();
      return;
    }
    this.closeAfterFlush();
  }

  destroy(_reason: string): void {
    this.aborted = true;
    this.socket.destroy();
  }

  onDeadline(): void {
    if (this.phase === Phase.HEAD) {
      this.reject('head_timeout', rejectDetails.headTimeout(this.transport.options.headDeadlineMs));
    } else if (this.responseEnded) {
      this.transport.options.reporter.drainGaveUp(this.bodyRemaining);
      this.socket.destroy();
    } else if (this.bodyRemaining > 0) {
      this.failBody(new ClientAbortError(rejectDetails.bodyTimeout(this.transport.options.bodyIdleTimeoutMs)), 'body_timeout');
    }
  }

  private onData(chunk: Buffer): void {
    if (this.phase === Phase.BODY) {
      this.onBodyBytes(chunk);
      return;
    }
    if (this.phase !== Phase.HEAD) return;
    const assembler = this.assembler!;
    const result = assembler.push(chunk);
    if (result === AssembleResult.MORE) return;
    if (result === AssembleResult.ERROR) {
      const detail = assembler.error === 'unsupported_modifier'
        ? rejectDetails.unsupportedModifier(assembler.modifier1)
        : rejectDetails.varsTooLarge(assembler.datasize, this.transport.options.maxVarsBlock);
      this.reject(assembler.error!, detail);
      return;
    }
    if (assembler.modifier1 === MODIFIER1_PING) this.answerPing();
    else this.onPacket(assembler);
  }

  private answerPing(): void {
    this.assembler = null;
    // Past the packet nothing is parsed again; the reply goes out and the connection closes.
    this.phase = Phase.BODY;
    this.responseEnded = true;
    this.transport.sweeper.disarm(this);
    this.socket.write(PING_REPLY);
    this.closeAfterFlush();
  }

  private onPacket(assembler: PacketAssembler): void {
    const { parser, reporter, limitPost } = this.transport.options;
    const status = parser.parse(assembler.block, assembler.blockStart, assembler.blockEnd);
    if (status < 0) {
      this.reject(parseStatusCode(status), rejectDetails.malformedVars(parser.meta[2]));
      return;
    }
    this.environ = Environ.fromParser(parser, assembler.block, assembler.blockStart, assembler.blockEnd);
    this.modifier2 = assembler.modifier2;
    const rest = assembler.rest;
    this.assembler = null;
    const head = readRequestHead(this.environ, limitPost);
    this.phase = Phase.BODY;
    this.transport.sweeper.disarm(this);
    const observer = this.transport.options.observer;
    // The uwsgi header and the vars block count as request bytes; body bytes, including
    // those that came with the packet, are counted in onBodyBytes.
    if (observer) this.observed = beginObserved(observer, this.environ, PACKET_HEADER_BYTES + assembler.blockEnd - assembler.blockStart);
    if (isBadRequest(head)) {
      reporter.badRequest(head.status, head.code, head.detail);
      this.bodyRemaining = head.drainBytes;
      this.dispatched = true;
      this.write(simpleResponse(head.status), undefined);
      this.end();
      return;
    }
    this.head = head;
    this.bodyRemaining = head.contentLength;
    if (this.bodyRemaining > 0) {
      this.deadlineAt = Date.now() + this.transport.options.bodyIdleTimeoutMs;
      this.transport.sweeper.arm(this);
      if (rest.length > 0) this.onBodyBytes(rest);
    }
    this.dispatched = true;
    this.transport.options.onRequest(this);
  }

  private onBodyBytes(chunk: Buffer): void {
    if (this.bodyRemaining === 0) return; // bytes past the body are never parsed
    if (chunk.length > this.bodyRemaining) chunk = chunk.subarray(0, this.bodyRemaining);
    this.bodyRemaining -= chunk.length;
    if (this.observed !== null) this.observed.bytesIn += chunk.length;
    if (this.responseEnded) {
      this.drainedBytes += chunk.length;
      if (this.bodyRemaining === 0) {
        this.transport.sweeper.disarm(this);
        this.closeAfterFlush();
      } else if (this.drainedBytes > DRAIN_MAX_BYTES) {
        this.transport.options.reporter.drainGaveUp(this.bodyRemaining);
        this.transport.sweeper.disarm(this);
        this.socket.destroy();
      }
      return;
    }
    this.deadlineAt = Date.now() + this.transport.options.bodyIdleTimeoutMs;
    if (this.sink !== null) {
      if (!this.sink.onBodyData(chunk)) this.socket.pause();
    } else {
      (this.pending ??= []).push(chunk);
      this.parkedBytes += chunk.length;
      if (this.parkedBytes >= PARKED_BODY_MAX_BYTES) this.pauseBody();
    }
    if (this.bodyRemaining === 0) {
      this.transport.sweeper.disarm(this);
      if (this.sink !== null) this.sink.onBodyEnd();
    }
  }

  private onEnd(): void {
    if (this.phase === Phase.HEAD) {
      const error = this.assembler!.endOfInput();
      if (error === null) this.socket.destroy();
      else this.reject(error, rejectDetails.truncated(this.assembler!.received));
    } else if (this.responseEnded) {
      // The peer saw the whole response (or gave up on the drain): nothing left to do.
      this.socket.destroy();
    } else if (this.bodyRemaining > 0) {
      this.failBody(new ClientAbortError(rejectDetails.bodyTruncated(this.bodyRemaining)), 'body_truncated');
    } else {
      this.abort(new ClientAbortError('client closed the connection'), 'response');
    }
  }

  private onSocketError(): void {
    // ECONNRESET / EPIPE: the peer is gone. 'close' follows and does the bookkeeping.
    if (this.dispatched && !this.responseEnded) {
      this.abort(new ClientAbortError('connection reset by the client'), this.bodyRemaining > 0 ? 'body' : 'response');
    }
  }

  private onClose(): void {
    const wasAbort = this.dispatched && !this.responseEnded && !this.aborted;
    if (wasAbort) this.abort(new ClientAbortError('connection closed before the response completed'), 'response');
    this.phase = Phase.CLOSED;
    this.transport.sweeper.disarm(this);
    this.transport.connectionClosed(this);
    if (this.observed !== null) {
      endObserved(this.transport.options.observer!, this.observed, this.aborted);
      this.observed = null;
    }
    if (this.dispatched) this.events.onClose();
  }

  private failBody(err: Error, reason: string): void {
    const sink = this.sink;
    this.transport.options.reporter.rejected(reason, err.message);
    if (sink !== null) sink.onBodyError(err);
    this.abort(err, 'body');
  }

  private abort(err: Error, phase: 'body' | 'response'): void {
    if (this.aborted) return;
    this.aborted = true;
    this.transport.sweeper.disarm(this);
    this.transport.options.reporter.clientAborted(phase);
    this.events.onAbort(err);
    this.socket.destroy();
  }

  private reject(reason: string, detail: string): void {
    this.transport.options.reporter.rejected(reason, detail);
    this.phase = Phase.CLOSED;
    this.transport.sweeper.disarm(this);
    this.socket.destroy();
  }

  private closeAfterFlush(): void {
    // end() sends FIN once the queued response is out; destroySoon() then releases the
    // socket without waiting for the peer (whose receive queue keeps the bytes).
    this.socket.destroySoon();
  }
}

export class JsTransport implements Transport {
  readonly kind = 'js';
  readonly sweeper = new DeadlineSweeper();
  onIdle: (() => void) | null = null;
  private listeners: FdListener[] = [];
  private readonly connections = new Set<JsExchange>();
  private paused = false;

  constructor(readonly options: TransportOptions) {}

  get openConnections(): number {
    return this.connections.size;
  }

  /** Whether the connection limit pauses accepting (true) or, without the addon's dup,
   * falls back to net.Server closing connections over the limit at accept (false). */
  get backsOff(): boolean {
    return this.options.dupFd !== null;
  }

  async listen(fds: readonly number[], backlog: number): Promise<void> {
    const onConnection = (socket: net.Socket) => {
      const peer = socket.remoteAddress;
      if (peer !== undefined && !this.options.allowList.allows(peer)) {
        this.options.reporter.rejected('peer_not_allowed', rejectDetails.peerNotAllowed(peer));
        socket.destroy();
        return;
      }
      this.connections.add(new JsExchange(socket, this));
      this.updateGate();
    };
    const onError = (err: Error) => this.options.reporter.rejected('accept_error', err.message);
    const fallbackLimit = this.backsOff ? 0 : this.options.maxConnections;
    for (const fd of fds) {
      const listener = new FdListener(fd, backlog, this.options.dupFd, onConnection, onError);
      await listener.start(fallbackLimit);
      this.listeners.push(listener);
    }
  }

  async stopAccepting(): Promise<void> {
    for (const listener of this.listeners.splice(0)) listener.stop();
    if (this.connections.size === 0) this.onIdle?.();
  }

  connectionClosed(exchange: JsExchange): void {
    this.connections.delete(exchange);
    this.updateGate();
    if (this.connections.size === 0) this.onIdle?.();
  }

  destroyAll(): void {
    for (const exchange of this.connections) exchange.destroy('fast stop');
  }

  private updateGate(): void {
    if (!this.backsOff) return;
    const limit = this.options.maxConnections;
    const action = acceptAction(this.connections.size, limit, this.paused);
    if (action === AcceptAction.PAUSE) {
      this.paused = true;
      for (const listener of this.listeners) listener.stop();
      this.options.reporter.acceptPaused(this.connections.size, limit);
    } else if (action === AcceptAction.RESUME) {
      this.paused = false;
      for (const listener of this.listeners) listener.resume();
    }
  }
}
