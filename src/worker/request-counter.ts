/**
 * Counts the requests a worker serves, for the heartbeat and for --max-requests: when
 * the count reaches the worker's limit, onLimit runs once (the worker tells the master at
 * once; the master starts a replacement and retires this worker when it is ready, and
 * until then the worker keeps serving). One increment per request, on any transport.
 */
import type { RequestHandler } from './exchange';

export class RequestCounter {
  count = 0;
  limitReached = false;

  /** `limit` 0: no limit. */
  constructor(
    private readonly limit: number,
    private readonly onLimit: () => void,
  ) {}

  wrap(handler: RequestHandler): RequestHandler {
    return (exchange) => {
      if (++this.count === this.limit) {
        this.limitReached = true;
        this.onLimit();
      }
      handler(exchange);
    };
  }
}
