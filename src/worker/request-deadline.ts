/**
 * --harakiri, the request half: a request still running when its deadline passes is
 * answered 504 (when nothing was sent yet; otherwise the connection is closed, since a
 * started response cannot be taken back), the app sees the request aborted, and one log
 * line names the method, URI and duration.
 *
 * It works on any transport: the handler is wrapped, and each exchange is wrapped in a
 * DeadlineExchange that watches the response and forwards everything else. Without
 * --harakiri nothing is wrapped and requests pay nothing for it.
 */
import type { Logger } from '../log';
import { simpleResponse } from '../protocol/response-head';
import type { BodySink, Exchange, ExchangeEvents, RequestHandler, WriteCallback } from './exchange';
import { DeadlineSweeper, type DeadlineItem } from './deadline-sweeper';

/** Given to the app as the abort reason of a request past its deadline. */
export class RequestDeadlineError extends Error {
  readonly code = 'UWSGI_TS_HARAKIRI';
  constructor(limitMs: number) {
    super(`the request ran past --harakiri (${limitMs / 1000} s)`);
    this.name = 'RequestDeadlineError';
  }
}

const NOOP_EVENTS: ExchangeEvents = { onDrain() {}, onAbort() {}, onClose() {} };

class DeadlineExchange implements Exchange, DeadlineItem {
  deadlineAt: number;
  private events: ExchangeEvents = NOOP_EVENTS;
  private wrote = false;
  private finished = false;
  private expired = false;
  private readonly token: number;

  constructor(
    private readonly inner: Exchange,
    private readonly guard: RequestDeadlines,
    readonly startedAt: number,
  ) {
    this.deadlineAt = startedAt + guard.limitMs;
    this.token = guard.tracker?.started(inner.head.method, inner.head.url, startedAt) ?? 0;
    const outer = this;
    inner.setEvents({
      get closeInline() {
        return outer.events.closeInline;
      },
      onDrain: () => this.events.onDrain(),
      onAbort: (err) => {
        // After a deadline the app was already told; the close of our 504 is no news.
        if (this.expired) return;
        this.settle();
        this.events.onAbort(err);
      },
      onClose: () => {
        this.settle();
        this.events.onClose();
      },
    });
  }

  get environ() {
    return this.inner.environ;
  }
  get head() {
    return this.inner.head;
  }
  get modifier2() {
    return this.inner.modifier2;
  }
  get aborted() {
    return this.expired || this.inner.aborted;
  }
  get writableLength() {
    return this.inner.writableLength;
  }

  setEvents(events: ExchangeEvents): void {
    this.events = events;
  }
  startBody(sink: BodySink): void {
    this.inner.startBody(sink);
  }
  resumeBody(): void {
    this.inner.resumeBody();
  }
  pauseBody(): void {
    this.inner.pauseBody();
  }
  cork(): void {
    this.inner.cork();
  }
  uncork(): void {
    this.inner.uncork();
  }

  write(chunk: Buffer | string, encoding: BufferEncoding | undefined, cb?: WriteCallback): boolean {
    if (this.expired) {
      if (cb) process.nextTick(cb, new RequestDeadlineError(this.guard.limitMs));
      return true;
    }
    this.wrote = true;
    return this.inner.write(chunk, encoding, cb);
  }

  end(): void {
    if (this.expired) return;
    this.settle();
    this.inner.end();
  }

  finish(chunk: Buffer | string, encoding: BufferEncoding | undefined): void {
    if (this.expired) return;
    this.wrote = true;
    this.settle();
    this.inner.finish(chunk, encoding);
  }

  destroy(reason: string): void {
    this.settle();
    this.inner.destroy(reason);
  }

  /** The response is complete or the connection gone: the deadline no longer applies. */
  private settle(): void {
    if (this.finished) return;
    this.finished = true;
    this.guard.sweeper.disarm(this);
    this.guard.tracker?.settled(this.token);
  }

  onDeadline(): void {
    if (this.finished) return;
    this.finished = true;
    this.expired = true;
    this.guard.tracker?.settled(this.token);
    const { method, url } = this.inner.head;
    const answered = !this.wrote;
    this.guard.log.error('harakiri', {
      method,
      uri: url,
      duration_ms: this.guard.now() - this.startedAt,
      limit_ms: this.guard.limitMs,
      action: answered ? 'answered 504 and aborted the request' : 'closed the connection (the response had started)',
    });
    this.guard.onExpired?.();
    if (answered) {
      this.inner.write(simpleResponse(504), undefined);
      this.inner.end();
    } else {
      this.inner.destroy('harakiri');
    }
    this.events.onAbort(new RequestDeadlineError(this.guard.limitMs));
  }
}

/** Told when requests start and finish (the loop watchdog names the running request). */
export interface RequestTracker {
  started(method: string, uri: string, at: number): number;
  settled(token: number): void;
}

export class RequestDeadlines {
  readonly sweeper: DeadlineSweeper;

  constructor(
    readonly limitMs: number,
    readonly log: Logger,
    readonly tracker: RequestTracker | null = null,
    readonly now: () => number = Date.now,
    sweeper?: DeadlineSweeper,
    /** Told of every request past its deadline (the worker tells the master, for the metrics). */
    readonly onExpired: (() => void) | null = null,
  ) {
    this.sweeper = sweeper ?? new DeadlineSweeper(undefined, now);
  }

  /** The handler, with every exchange under the deadline. */
  wrap(handler: RequestHandler): RequestHandler {
    return (exchange) => {
      const guarded = new DeadlineExchange(exchange, this, this.now());
      this.sweeper.arm(guarded);
      handler(guarded);
    };
  }
}
