/**
 * What `req.socket` / `res.socket` is for a (req, res) app: the part of net.Socket's
 * surface that IncomingMessage, ServerResponse and the usual middleware (Express,
 * Koa, on-finished, body parsers) touch, forwarded to an Exchange. It is a plain
 * EventEmitter, not a stream, so a request does not pay for a socket it does not have.
 */
import { EventEmitter } from 'node:events';
import type { ServerResponse } from 'node:http';
import type { Exchange, WriteCallback } from './exchange';
import { K } from '../protocol/known-keys';
import { isHttps } from './request-headers';

/** Same as net.Socket's defaults, which IncomingMessage copies for its own buffering. */
const HIGH_WATER_MARK = 16 * 1024;

type Encoding = BufferEncoding | undefined;

export class ExchangeSocket extends EventEmitter {
  readable = true;
  writable = true;
  destroyed = false;
  connecting = false;
  readonly readableHighWaterMark = HIGH_WATER_MARK;
  readonly writableHighWaterMark = HIGH_WATER_MARK;
  /** Read and reset by ServerResponse.end() (it forces one level of cork, then uncorks). */
  readonly _writableState = { corked: 0 };
  /** node:http sets this when pipelined output is backed up; never the case here. */
  readonly _paused = false;
  _httpMessage: ServerResponse | null = null;
  bytesWritten = 0;
  private timeoutMs = 0;
  private timer: NodeJS.Timeout | null = null;

  constructor(private readonly exchange: Exchange) {
    super();
  }

  // The addresses come from the uwsgi vars, read when asked for: most requests never are.
  // Middleware that rewrites them (a proxy-protocol shim, a test helper) may assign.
  private remoteAddressSet: string | undefined | null = null;
  private remotePortSet: number | undefined | null = null;
  private encryptedSet: true | undefined | null = null;

  get remoteAddress(): string | undefined {
    return this.remoteAddressSet !== null ? this.remoteAddressSet : this.exchange.environ.getKnown(K.REMOTE_ADDR);
  }

  set remoteAddress(value: string | undefined) {
    this.remoteAddressSet = value;
  }

  get remotePort(): number | undefined {
    if (this.remotePortSet !== null) return this.remotePortSet;
    const port = this.exchange.environ.getKnown(K.REMOTE_PORT);
    return port ? Number(port) : undefined;
  }

  set remotePort(value: number | undefined) {
    this.remotePortSet = value;
  }

  get remoteFamily(): string {
    return this.remoteAddress?.includes(':') ? 'IPv6' : 'IPv4';
  }

  get localAddress(): string | undefined {
    return this.exchange.environ.getKnown(K.SERVER_ADDR);
  }

  get localPort(): number | undefined {
    const port = this.exchange.environ.getKnown(K.SERVER_PORT);
    return port ? Number(port) : undefined;
  }

  /** true when the front server saw TLS, like tls.TLSSocket: Express derives req.protocol
   * and req.secure from it. */
  get encrypted(): true | undefined {
    if (this.encryptedSet !== null) return this.encryptedSet;
    return isHttps(this.exchange.environ) ? true : undefined;
  }

  set encrypted(value: true | undefined) {
    this.encryptedSet = value;
  }

  get writableCorked(): number {
    return this._writableState.corked;
  }

  get writableLength(): number {
    return this.exchange.writableLength;
  }

  get writableNeedDrain(): boolean {
    return this.exchange.writableLength >= HIGH_WATER_MARK;
  }

  write(data: Buffer | string, encoding?: Encoding | WriteCallback, cb?: WriteCallback): boolean {
    if (typeof encoding === 'function') {
      cb = encoding;
      encoding = undefined;
    }
    const msg = this._httpMessage as (ServerResponse & { _header: string | null }) | null;
    if (msg !== null && !msg._header) {
      // Only interim 1xx responses (writeContinue, writeEarlyHints) are written before the
      // head is stored. nginx would take them as the final status line: drop them.
      if (cb) process.nextTick(cb);
      return true;
    }
    this.bytesWritten += typeof data === 'string' ? Buffer.byteLength(data, encoding) : data.length;
    this.touch();
    return this.exchange.write(data, encoding, cb);
  }

  cork(): void {
    if (this._writableState.corked++ === 0) this.exchange.cork();
  }

  uncork(): void {
    if (this._writableState.corked === 0) return;
    if (--this._writableState.corked === 0) this.exchange.uncork();
  }

  /** The app (or a library) ending the socket itself means the response is over. */
  end(data?: Buffer | string | (() => void), encoding?: Encoding | (() => void), cb?: () => void): this {
    if (typeof data === 'function') cb = data;
    else if (data !== undefined && data !== null) this.write(data, typeof encoding === 'function' ? undefined : encoding);
    if (typeof encoding === 'function') cb = encoding;
    this.writable = false;
    this.exchange.end();
    if (cb) process.nextTick(cb);
    return this;
  }

  destroySoon(): void {
    this.end();
  }

  destroy(err?: Error): this {
    if (this.destroyed) return this;
    this.exchange.destroy(err ? err.message : 'destroyed by the app');
    this.markClosed();
    return this;
  }

  resume(): this {
    this.exchange.resumeBody();
    return this;
  }

  pause(): this {
    this.exchange.pauseBody();
    return this;
  }

  setTimeout(ms: number, cb?: () => void): this {
    if (cb) this.once('timeout', cb);
    this.timeoutMs = ms;
    // A new duration needs a new timer: refresh() would keep the old one's.
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    this.touch();
    return this;
  }

  setNoDelay(): this {
    return this;
  }

  setKeepAlive(): this {
    return this;
  }

  ref(): this {
    return this;
  }

  unref(): this {
    return this;
  }

  address(): { address: string; family: string; port: number } | Record<string, never> {
    const address = this.localAddress;
    if (address === undefined) return {};
    return { address, family: address.includes(':') ? 'IPv6' : 'IPv4', port: this.localPort ?? 0 };
  }

  /** The exchange is over (completed or aborted): the socket reads as closed and emits
   * 'close' on the next tick, which ServerResponse turns into its own 'close'. */
  markClosed(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    if (this.destroyed) return;
    this.destroyed = true;
    this.readable = false;
    this.writable = false;
    process.nextTick(emitClose, this);
  }

  private touch(): void {
    if (this.timeoutMs <= 0) {
      if (this.timer !== null) clearTimeout(this.timer);
      this.timer = null;
      return;
    }
    if (this.timer !== null) this.timer.refresh();
    else this.timer = setTimeout(emitTimeout, this.timeoutMs, this).unref();
  }
}

function emitClose(socket: ExchangeSocket): void {
  socket.emit('close', false);
}

/** As node:http does: the request (while incomplete) and the response hear of the idle
 * timeout; when nobody listens, the connection is closed. */
function emitTimeout(socket: ExchangeSocket): void {
  const res = socket._httpMessage;
  const req = res?.req;
  const toReq = req !== undefined && !req.complete && req.emit('timeout', socket);
  const toRes = res !== null && res.emit('timeout', socket);
  const toSocket = socket.emit('timeout');
  if (!toReq && !toRes && !toSocket) socket.destroy();
}
