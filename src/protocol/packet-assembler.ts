/**
 * Assembles the 4-byte uwsgi header and the vars block from any split of incoming bytes.
 * The common case (nginx writes the whole packet at once) takes no copy: the block is
 * parsed in place from the chunk it arrived in. Otherwise exactly `datasize` bytes are
 * allocated, and only after the header has been checked (a hostile datasize costs nothing).
 * Bytes after the block are handed back untouched: they are the start of the body, and
 * are never looked at as a packet (one request per connection).
 */
import { MODIFIER1_PING, MODIFIER1_REQUEST, PACKET_HEADER_BYTES } from './limits';

export const enum AssembleResult {
  /** Need more bytes. */
  MORE = 0,
  /** Header and vars block complete: see block/blockStart/blockEnd and rest (and modifier1:
   * a request, or a ping to answer without parsing the block). */
  DONE = 1,
  /** The header is invalid: see `error`. */
  ERROR = 2,
}

export type FramingError = 'unsupported_modifier' | 'vars_too_large' | 'header_truncated' | 'vars_truncated';

const EMPTY = Buffer.alloc(0);

export class PacketAssembler {
  modifier1 = -1;
  modifier2 = -1;
  datasize = -1;
  /** Set when push() returns DONE: the vars block is block[blockStart, blockEnd). */
  block: Buffer = EMPTY;
  blockStart = 0;
  blockEnd = 0;
  /** Bytes that followed the vars block in the last chunk (the start of the body). */
  rest: Buffer = EMPTY;
  error: FramingError | null = null;
  /** Total bytes seen, for "connected and sent nothing" vs "sent a partial packet". */
  received = 0;

  private readonly header = Buffer.alloc(PACKET_HEADER_BYTES);
  private headerFill = 0;
  private blockFill = 0;

  constructor(private readonly maxVarsBlock: number) {}

  push(chunk: Buffer): AssembleResult {
    this.received += chunk.length;
    let offset = 0;
    if (this.datasize < 0) {
      // Fast path: the whole header is in this chunk and nothing was buffered before.
      if (this.headerFill === 0 && chunk.length >= PACKET_HEADER_BYTES) {
        const status = this.readHeader(chunk, 0);
        if (status !== AssembleResult.MORE) return status;
        offset = PACKET_HEADER_BYTES;
        if (chunk.length - offset >= this.datasize) {
          return this.finish(chunk, offset, offset + this.datasize, chunk.length);
        }
      } else {
        const take = Math.min(PACKET_HEADER_BYTES - this.headerFill, chunk.length);
        chunk.copy(this.header, this.headerFill, 0, take);
        this.headerFill += take;
        offset = take;
        if (this.headerFill < PACKET_HEADER_BYTES) return AssembleResult.MORE;
        const status = this.readHeader(this.header, 0);
        if (status !== AssembleResult.MORE) return status;
        if (chunk.length - offset >= this.datasize) {
          return this.finish(chunk, offset, offset + this.datasize, chunk.length);
        }
      }
      // The block spans chunks: allocate it now that its size is known and allowed.
      this.block = Buffer.allocUnsafe(this.datasize);
      this.blockFill = 0;
    }
    const take = Math.min(this.datasize - this.blockFill, chunk.length - offset);
    chunk.copy(this.block, this.blockFill, offset, offset + take);
    this.blockFill += take;
    if (this.blockFill < this.datasize) return AssembleResult.MORE;
    const restStart = offset + take;
    this.blockStart = 0;
    this.blockEnd = this.datasize;
    this.rest = restStart < chunk.length ? chunk.subarray(restStart) : EMPTY;
    return AssembleResult.DONE;
  }

  /** The peer closed before the packet was complete: which error that is, or null when it
   * sent nothing at all (a health check's connect: close quietly). */
  endOfInput(): FramingError | null {
    if (this.received === 0) return null;
    return this.datasize < 0 ? 'header_truncated' : 'vars_truncated';
  }

  private readHeader(buf: Buffer, at: number): AssembleResult {
    this.modifier1 = buf[at];
    this.datasize = buf[at + 1] | (buf[at + 2] << 8);
    this.modifier2 = buf[at + 3];
    if (this.modifier1 !== MODIFIER1_REQUEST && this.modifier1 !== MODIFIER1_PING) {
      this.error = 'unsupported_modifier';
      return AssembleResult.ERROR;
    }
    if (this.datasize > this.maxVarsBlock) {
      this.error = 'vars_too_large';
      return AssembleResult.ERROR;
    }
    return AssembleResult.MORE;
  }

  private finish(chunk: Buffer, start: number, end: number, chunkEnd: number): AssembleResult {
    this.block = chunk;
    this.blockStart = start;
    this.blockEnd = end;
    this.rest = end < chunkEnd ? chunk.subarray(end) : EMPTY;
    return AssembleResult.DONE;
  }
}
