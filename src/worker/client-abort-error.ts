/**
 * The error an app sees when the peer went away (or the connection was closed under
 * it): code ECONNRESET, as node:http's own aborts carry.
 */
export class ClientAbortError extends Error {
  readonly code = 'ECONNRESET';
  constructor(message: string) {
    super(message);
    this.name = 'ClientAbortError';
  }
}
