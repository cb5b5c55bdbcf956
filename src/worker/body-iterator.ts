/**
 * A request body as an async iterator of Buffers (`for await (const chunk of request)`):
 * the lightest way to consume a streamed body, with back-pressure to the client but no
 * stream object. Chunks are queued until asked for; above BODY_QUEUE_HIGH_WATER_BYTES the
 * transport is paused, and resumed once the consumer has taken them.
 */
import type { BodySink, Exchange } from './exchange';

/** Body bytes queued for a consumer that has not asked for them yet before the transport
 * stops reading: one native read's worth, so a steady consumer never stalls the socket. */
export const BODY_QUEUE_HIGH_WATER_BYTES = 256 * 1024;

type Waiter = { resolve(r: IteratorResult<Buffer>): void; reject(err: Error): void };

export class BodyIterator implements BodySink, AsyncIterableIterator<Buffer> {
  private readonly queue: Buffer[] = [];
  private queuedBytes = 0;
  private ended = false;
  private error: Error | null;
  private waiter: Waiter | null = null;
  private paused = false;
  /** The consumer stopped early (break): later chunks are dropped. */
  private dropped = false;

  constructor(
    private readonly exchange: Exchange,
    failure: Error | null,
  ) {
    this.error = failure;
    if (failure === null) exchange.startBody(this);
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  next(): Promise<IteratorResult<Buffer>> {
    if (this.queue.length > 0) {
      const chunk = this.queue.shift()!;
      this.queuedBytes -= chunk.length;
      if (this.paused && this.queuedBytes < BODY_QUEUE_HIGH_WATER_BYTES) {
        this.paused = false;
        this.exchange.resumeBody();
      }
      return Promise.resolve({ value: chunk, done: false });
    }
    if (this.error !== null) return Promise.reject(this.error);
    if (this.ended) return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve, reject) => {
      this.waiter = { resolve, reject };
    });
  }

  return(): Promise<IteratorResult<Buffer>> {
    this.dropped = true;
    this.queue.length = 0;
    this.queuedBytes = 0;
    if (this.paused) {
      this.paused = false;
      this.exchange.resumeBody();
    }
    return Promise.resolve({ value: undefined, done: true });
  }

  // ---- BodySink ----

  onBodyData(chunk: Buffer): boolean {
    if (this.dropped) return true;
    const waiter = this.waiter;
    if (waiter !== null) {
      this.waiter = null;
      waiter.resolve({ value: chunk, done: false });
      return true;
    }
    this.queue.push(chunk);
    this.queuedBytes += chunk.length;
    if (this.queuedBytes < BODY_QUEUE_HIGH_WATER_BYTES) return true;
    this.paused = true;
    return false;
  }

  onBodyEnd(): void {
    this.ended = true;
    const waiter = this.waiter;
    this.waiter = null;
    waiter?.resolve({ value: undefined, done: true });
  }

  onBodyError(err: Error): void {
    this.error = err;
    const waiter = this.waiter;
    this.waiter = null;
    waiter?.reject(err);
  }
}
