/**
 * The seam between a transport (how bytes reach us: net.Socket today, the native
 * connection path later) and the app adapters (what the app sees: (req, res) or
 * fetch). One Exchange is one request/response on one connection: the request is already
 * parsed and validated when the adapter gets it; the adapter streams the body in and the
 * response out, and the transport owns framing, draining and closing.
 */
import type { Environ } from '../protocol/environ';
import type { RequestHead } from '../protocol/request-head';

export interface BodySink {
  /** A chunk of request body. Return false to ask the transport to pause until resumeBody(). */
  onBodyData(chunk: Buffer): boolean;
  /** All CONTENT_LENGTH bytes arrived. */
  onBodyEnd(): void;
  /** The body cannot complete: the peer closed early or stopped sending past the deadline. */
  onBodyError(err: Error): void;
  /** `bytes` more body went straight into the buffer given to Exchange.readBodyInto(). */
  onBodyFilled?(bytes: number): void;
}

export interface ExchangeEvents {
  /** The response buffer has room again after write() returned false. */
  onDrain(): void;
  /** The peer went away before the response was complete: stop working on it. */
  onAbort(err: Error): void;
  /** The connection is closed and every resource of this exchange is released. */
  onClose(): void;
  /** True when onClose (and the observers' end of the request) may run inside end() or
   * finish() itself rather than on the next tick: an adapter with no stream semantics to
   * keep (node:http emits 'close' asynchronously, so the (req, res) adapter leaves this
   * unset). Saves a tick per request. */
  readonly closeInline?: boolean;
}

export type WriteCallback = (err?: Error | null) => void;

export interface Exchange {
  readonly environ: Environ;
  readonly head: RequestHead;
  readonly modifier2: number;
  /** True once the peer went away or the exchange was destroyed: writes are swallowed. */
  readonly aborted: boolean;
  /** Bytes queued in the transport and not yet handed to the kernel. */
  readonly writableLength: number;

  setEvents(events: ExchangeEvents): void;
  /** Starts delivering the body (bytes that arrived with the packet first). */
  startBody(sink: BodySink): void;
  resumeBody(): void;
  pauseBody(): void;
  /** Where the transport can: the rest of the body is read straight into
   * target[offset...] (reported to the sink by onBodyFilled) instead of arriving as
   * chunks. False when it cannot; chunks keep coming then. */
  readBodyInto?(target: Buffer, offset: number): boolean;

  cork(): void;
  uncork(): void;
  /** Queues response bytes; false when the transport is above its high-water mark. The
   * callback runs once the bytes were handed to the kernel, or with an error if the
   * exchange ended first. The first write must start with the status line. */
  write(chunk: Buffer | string, encoding: BufferEncoding | undefined, cb?: WriteCallback): boolean;
  /** The response is complete: flush, drain unread request body (bounded), close. */
  end(): void;
  /** write(chunk) and end() in one: a whole response in one hand-over to the kernel. */
  finish(chunk: Buffer | string, encoding: BufferEncoding | undefined): void;
  /** Close without completing the response (an app error after bytes went out). */
  destroy(reason: string): void;
}

/** How a transport reports what happens at the protocol level: logged and counted by the
 * worker; never reaches the app. */
export interface ProtocolReporter {
  /** A malformed or unsupported packet: the connection was closed without a response. */
  rejected(reason: string, detail: string): void;
  /** The vars parsed but the request is unacceptable: answered with `status`. */
  badRequest(status: number, code: string, detail: string): void;
  /** The peer went away mid-request or mid-response. */
  clientAborted(phase: 'body' | 'response'): void;
  /** Unread body could not be drained within its bounds before the close. */
  drainGaveUp(unreadBytes: number): void;
  /** The worker reached --max-connections and stopped accepting until one closes. */
  acceptPaused(open: number, limit: number): void;
}

export type RequestHandler = (exchange: Exchange) => void;

/** A body nobody reads: taken and dropped as it arrives. */
export const DISCARD_BODY: BodySink = { onBodyData: () => true, onBodyEnd() {}, onBodyError() {} };

/** Hands the body chunks that arrived before startBody() to the sink, in order. A
 * transport parks chunks while no sink exists, and stops reading past
 * PARKED_BODY_MAX_BYTES (an adapter may ask for the body late, or never: the unread rest
 * is drained at the end); after the hand-over it reads on only if the sink has room. */
export function deliverPending(sink: BodySink, pending: Buffer[] | null, pause: () => void, resume: () => void): void {
  if (pending === null) return;
  let full = false;
  for (const chunk of pending) {
    if (!sink.onBodyData(chunk)) full = true;
  }
  if (full) pause();
  else resume();
}
