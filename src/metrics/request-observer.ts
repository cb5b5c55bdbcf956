/**
 * The seam between a transport and whatever watches requests (metrics, the request log):
 * a transport calls begin() once a request was parsed (or refused with a 4xx) and end()
 * once its connection is done with it, whatever the transport. Both calls are on the hot
 * path, so they take plain arguments and the only allocation is the record itself.
 */
import { performance } from 'node:perf_hooks';
import type { Environ } from '../protocol/environ';
import { K } from '../protocol/known-keys';

/** One request from begin() to end(); observers read it, the transport fills it. */
export class ObservedRequest {
  /** Response status the transport saw in the status line (0 while nothing was sent). */
  status = 0;
  /** Request bytes read: header, vars block and body. */
  bytesIn = 0;
  /** Response bytes handed to the kernel or queued for it. */
  bytesOut = 0;
  /** The peer went away (or the exchange was destroyed) before the response completed. */
  aborted = false;
  /** performance.now() at end(). */
  endedAt = 0;

  constructor(
    readonly method: string,
    readonly uri: string,
    readonly remoteAddr: string,
    /** performance.now() at begin(). */
    readonly startedAt: number,
  ) {}

  /** Counts response bytes handed on; the first ones carry the status line. */
  sent(chunk: Buffer | string, encoding?: BufferEncoding): void {
    if (this.status === 0) this.status = statusFromHead(chunk);
    this.bytesOut += typeof chunk === 'string' ? Buffer.byteLength(chunk, encoding) : chunk.length;
  }

  get durationMs(): number {
    return this.endedAt - this.startedAt;
  }
}

/** Starts observing a parsed request: its record, begun with `bytesIn` request bytes so far. */
export function beginObserved(observer: RequestObserver, env: Environ, bytesIn: number): ObservedRequest {
  const observed = new ObservedRequest(
    env.getKnown(K.REQUEST_METHOD) ?? '',
    env.getKnown(K.REQUEST_URI) ?? env.getKnown(K.PATH_INFO) ?? '',
    env.getKnown(K.REMOTE_ADDR) ?? '',
    performance.now(),
  );
  observed.bytesIn = bytesIn;
  observer.begin(observed);
  return observed;
}

/** Ends observing a request once its connection is done with it. */
export function endObserved(observer: RequestObserver, observed: ObservedRequest, aborted: boolean): void {
  observed.aborted = aborted;
  observed.endedAt = performance.now();
  observer.end(observed);
}

export interface RequestObserver {
  begin(request: ObservedRequest): void;
  end(request: ObservedRequest): void;
}

/** The status code in a response's first bytes ("HTTP/1.1 200 OK..."), or 0. */
export function statusFromHead(chunk: Buffer | string): number {
  // "HTTP/x.y " is 9 characters; the three digits follow.
  if (chunk.length < 12) return 0;
  let n = 0;
  for (let i = 9; i < 12; i++) {
    const c = typeof chunk === 'string' ? chunk.charCodeAt(i) : chunk[i]!;
    if (c < 48 || c > 57) return 0;
    n = n * 10 + (c - 48);
  }
  return n;
}

/** Several observers as one (metrics and the request log both watch). */
export function combineObservers(observers: readonly RequestObserver[]): RequestObserver | null {
  if (observers.length === 0) return null;
  if (observers.length === 1) return observers[0]!;
  return {
    begin(request) {
      for (const o of observers) o.begin(request);
    },
    end(request) {
      for (const o of observers) o.end(request);
    },
  };
}
