/**
 * Collects a request body for request.buffer() / text() / json().
 *
 * With the length declared (CONTENT_LENGTH, which the transports never read past), the
 * body is copied into one buffer of that size as it arrives and each chunk is let go at
 * once. Kept until the end instead, every chunk would hold its whole body slab (a view
 * of 512 KiB shared with other requests) for the request's life, long enough to outlive
 * young-generation GCs. Under a 1 MiB upload load this took a quarter of the CPU per
 * request off (bench/RESULTS.md, "request.buffer() copies as the body arrives"). The one
 * chunk that is the whole body (a small body read with the request) is handed over as it
 * is.
 *
 * Where the transport can (the native path), the rest of the body is then read straight
 * into that buffer (`readBodyInto`), so only what arrived before the buffer existed is copied.
 */
import type { BodySink, Exchange } from './exchange';

/** Largest declared length given its buffer up front. The length is the client's claim:
 * V8 counts a buffer's full size against its external-memory limits when it is made, so
 * a larger claim would start collections for bytes that may never come; such bodies are
 * kept as chunks and joined at the end. */
export const COLLECT_PREALLOCATE_MAX_BYTES = 64 * 1024 * 1024;

export class CollectSink implements BodySink {
  /** The declared length's buffer, filled from the start. */
  private filled: Buffer | null = null;
  /** Chunks kept as they came: the whole body in one, or any body not preallocated. */
  private readonly chunks: Buffer[] = [];
  private length = 0;

  /** `source`: the exchange the body comes from; where its transport has readBodyInto,
   * the rest of the body is read straight into the buffer (reported with onBodyFilled). */
  constructor(
    private readonly declared: number,
    private readonly resolve: (body: Buffer) => void,
    private readonly reject: (err: Error) => void,
    private readonly source?: Pick<Exchange, 'readBodyInto'>,
  ) {}

  onBodyData(chunk: Buffer): boolean {
    const end = this.length + chunk.length;
    if (this.filled !== null && end <= this.filled.length) {
      chunk.copy(this.filled, this.length);
    } else if (this.length === 0 && end < this.declared && this.declared <= COLLECT_PREALLOCATE_MAX_BYTES) {
      this.filled = Buffer.allocUnsafe(this.declared);
      chunk.copy(this.filled, 0);
    } else {
      // The whole body in one chunk, no declared length to fill, or (never from the
      // transports) more than declared: keep chunks, with what was filled so far first.
      if (this.filled !== null) {
        this.chunks.push(this.filled.subarray(0, this.length));
        this.filled = null;
      }
      this.chunks.push(chunk);
    }
    this.length = end;
    // Asked again after every copied chunk, so the transport always continues where the
    // copies ended (the chunks that arrived before buffer() come one after another).
    if (this.filled !== null && this.length < this.filled.length) this.source?.readBodyInto?.(this.filled, this.length);
    return true;
  }

  onBodyFilled(bytes: number): void {
    this.length += bytes;
  }

  onBodyEnd(): void {
    const { filled, chunks, length } = this;
    if (filled !== null) this.resolve(length === filled.length ? filled : filled.subarray(0, length));
    else this.resolve(chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, length));
  }

  onBodyError(err: Error): void {
    this.reject(err);
  }
}
