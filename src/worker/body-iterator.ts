/**
 * A request body as an async iterator of Buffers (`for await (const chunk of request)`):
 * the lightest way to consume a streamed body, with back-pressure to the client but no
 * stream object. Chunks are queued until asked for; above BODY_QUEUE_HIGH_WATER_BYTES the
 * transport is paused, and resumed once the consumer has taken them.
 *
 * A result's `value` is released when the consumer asks for the next result (or stops):
 * `for await` and every reader that takes `value` out of the result at once are unaffected;
 * a reader that keeps result objects must keep the chunk instead. Why: the consumer's
 * suspended frame and the promise that carried a result often outlive a scavenge (a 1 MiB
 * upload lasts longer than V8's interval between two) and are promoted; a promoted object
 * keeps what it points at alive until the next mark-compact even after it died itself,
 * and a chunk keeps its whole body slab. Under a 1 MiB POST load, releasing the chunk cut
 * the slabs promoted in 5 s from 54 to 7 and lowered the worker's peak RSS (the runs are
 * in bench/RESULTS.md).
 */
import type { BodySink, Exchange } from './exchange';

/** Body bytes queued for a consumer that has not asked for them yet before the transport
 * stops reading: one native read's worth, so a steady consumer never stalls the socket. */
export const BODY_QUEUE_HIGH_WATER_BYTES = 256 * 1024;

type Waiter = { resolve(r: IteratorResult<Buffer>): void; reject(err: Error): void };
/** A result as handed out: its value is released (set to undefined) later. */
type Delivered = { value: Buffer | undefined; done: false };

export class BodyIterator implements BodySink, AsyncIterableIterator<Buffer> {
  private readonly queue: Buffer[] = [];
  private queuedBytes = 0;
  private ended = false;
  private error: Error | null;
  private waiter: Waiter | null = null;
  private paused = false;
  /** The consumer stopped early (break): later chunks are dropped. */
  private dropped = false;
  /** The last result handed out with a chunk, until the consumer asks for the next. */
  private delivered: Delivered | null = null;

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
    this.releaseDelivered();
    if (this.queue.length > 0) {
      const chunk = this.queue.shift()!;
      this.queuedBytes -= chunk.length;
      if (this.paused && this.queuedBytes < BODY_QUEUE_HIGH_WATER_BYTES) {
        this.paused = false;
        this.exchange.resumeBody();
      }
      return Promise.resolve(this.deliver(chunk));
    }
    if (this.error !== null) return Promise.reject(this.error);
    if (this.ended) return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve, reject) => {
      this.waiter = { resolve, reject };
    });
  }

  return(): Promise<IteratorResult<Buffer>> {
    this.releaseDelivered();
    this.dropped = true;
    this.queue.length = 0;
    this.queuedBytes = 0;
    if (this.paused) {
      this.paused = false;
      this.exchange.resumeBody();
    }
    return Promise.resolve({ value: undefined, done: true });
  }

  private deliver(chunk: Buffer): IteratorResult<Buffer> {
    const result: Delivered = { value: chunk, done: false };
    this.delivered = result;
    return result as IteratorResult<Buffer>;
  }

  private releaseDelivered(): void {
    if (this.delivered === null) return;
    this.delivered.value = undefined;
    this.delivered = null;
  }

  // ---- BodySink ----

  onBodyData(chunk: Buffer): boolean {
    if (this.dropped) return true;
    const waiter = this.waiter;
    if (waiter !== null) {
      this.waiter = null;
      waiter.resolve(this.deliver(chunk));
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
