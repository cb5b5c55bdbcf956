/**
 * Lets an unmodified app that starts its own server (`http.createServer(h).listen(3000)`,
 * `app.listen()`, Fastify's `listen()`) run under uwsgi-ts: while the worker runs, listen()
 * on an HTTP server binds nothing; the server is recorded and its 'request' handler is
 * served on the uwsgi sockets instead. The server behaves as if it were listening
 * ('listening' event, callback, address(), listening), and close() means "stop serving":
 * its callback runs once the worker has finished its in-flight requests, so an app that
 * exits from that callback never cuts a request short. Other net.Server instances (an
 * app's own TCP service) listen for real.
 */
import type * as http from 'node:http';
import * as net from 'node:net';
import { isHttpServer } from './http-server-class';

export interface CaptureHooks {
  /** An HTTP server asked to listen: `requested` describes what it asked for (for logs). */
  onListen(server: http.Server, requested: string): void;
  /** The app closed a captured server; call `done` when serving has stopped. */
  onClose(server: http.Server, done: () => void): void;
}

type AddressInfo = net.AddressInfo | string | null;

function describe(args: unknown[]): { text: string; address: AddressInfo } {
  const first = args[0];
  const host = typeof args[1] === 'string' ? args[1] : undefined;
  const fake = (port: number, address = host ?? '127.0.0.1'): net.AddressInfo => ({
    address,
    family: address.includes(':') ? 'IPv6' : 'IPv4',
    port,
  });
  if (typeof first === 'number' || (typeof first === 'string' && /^\d+$/.test(first))) {
    return { text: `port ${first}`, address: fake(Number(first)) };
  }
  if (typeof first === 'string') return { text: `path ${first}`, address: first };
  if (first !== null && typeof first === 'object') {
    const o = first as { port?: number | string; host?: string; path?: string };
    if (typeof o.path === 'string') return { text: `path ${o.path}`, address: o.path };
    return { text: `port ${o.port ?? 0}${o.host ? ` on ${o.host}` : ''}`, address: fake(Number(o.port ?? 0), o.host) };
  }
  return { text: 'a random port', address: fake(0) };
}

export class ListenCapture {
  private original: typeof net.Server.prototype.listen | null = null;

  constructor(private readonly hooks: CaptureHooks) {}

  install(): void {
    if (this.original !== null) return;
    const original = net.Server.prototype.listen;
    this.original = original;
    const hooks = this.hooks;
    net.Server.prototype.listen = function listen(this: net.Server, ...args: unknown[]) {
      if (!isHttpServer(this)) return original.apply(this, args as never);
      const callback = typeof args[args.length - 1] === 'function' ? (args[args.length - 1] as () => void) : undefined;
      const { text, address } = describe(args);
      let listening = true;
      const server = this;
      Object.defineProperty(server, 'listening', { configurable: true, get: () => listening });
      server.address = () => (listening ? address : null);
      server.close = function close(cb?: (err?: Error) => void) {
        if (!listening) {
          if (cb) process.nextTick(cb);
          return server;
        }
        listening = false;
        hooks.onClose(server, () => {
          server.emit('close');
          cb?.();
        });
        return server;
      } as typeof server.close;
      if (callback) server.once('listening', callback);
      process.nextTick(() => server.emit('listening'));
      hooks.onListen(server, text);
      return server;
    } as typeof net.Server.prototype.listen;
  }

  uninstall(): void {
    if (this.original !== null) net.Server.prototype.listen = this.original;
    this.original = null;
  }
}
