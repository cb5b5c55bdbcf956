/**
 * Accepting through Node on one listening fd inherited from the master, in a way that can
 * stop and start again. Node has no call that stops a listening handle from accepting, and
 * closing the handle closes its fd; so the net.Server listens on a duplicate of the fd:
 * pausing closes the server and its duplicate (the socket stays open and listening through
 * the original fd, its backlog intact), resuming listens on a fresh duplicate.
 *
 * Without the addon there is no dup: the server listens on the fd itself and cannot pause;
 * the transport then falls back to net.Server's maxConnections (accept, then close).
 */
import * as net from 'node:net';

export type DupFd = (fd: number) => number;

export class FdListener {
  private server: net.Server | null = null;

  constructor(
    private readonly fd: number,
    private readonly backlog: number,
    private readonly dupFd: DupFd | null,
    private readonly onConnection: (socket: net.Socket) => void,
    private readonly onError: (err: Error) => void,
  ) {}

  /** Whether pause() keeps the socket: only a listener over a duplicate fd can. */
  get canPause(): boolean {
    return this.dupFd !== null;
  }

  get accepting(): boolean {
    return this.server !== null;
  }

  /** Starts accepting; resolves once listening. */
  start(maxConnections = 0): Promise<void> {
    const fd = this.dupFd === null ? this.fd : this.dupFd(this.fd);
    if (fd < 0) return Promise.reject(new Error(`cannot duplicate socket fd ${this.fd}: errno ${-fd}`));
    const server = net.createServer({ allowHalfOpen: true }, this.onConnection);
    if (maxConnections > 0) server.maxConnections = maxConnections;
    this.server = server;
    return new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      // The backlog goes as the second argument: listen({ fd, backlog }) ignores the
      // option (Node 20 takes the backlog of an fd listen from the positional args only)
      // and would shrink the master's queue to 511.
      server.listen({ fd }, this.backlog, () => {
        server.off('error', reject);
        server.on('error', this.onError);
        resolve();
      });
    });
  }

  /** Stops accepting; open connections carry on. With a duplicate fd the socket stays
   * listening for other workers; without one this closes the socket in this process. */
  stop(): void {
    const server = this.server;
    this.server = null;
    // close() shuts this process's listening handle at once; its callback would wait for
    // the open connections, which the transport tracks instead.
    server?.close();
  }

  /** Accepts again after stop() (only where canPause). */
  resume(): void {
    if (this.server !== null) return;
    this.start().catch(this.onError);
  }
}
