/**
 * Counts what the transport reports at the protocol level, by reason, and logs one line
 * per event. The counts are the worker's contribution to the server's metrics.
 */
import type { Logger } from '../log';
import type { ProtocolReporter } from './exchange';
import { shouldLogPause } from './accept-gate';

export class ProtocolCounters implements ProtocolReporter {
  readonly rejectedByReason = new Map<string, number>();
  readonly badRequestsByCode = new Map<string, number>();
  clientAborts = 0;
  drainsGivenUp = 0;
  acceptPauses = 0;
  private pauseLoggedAt: number | null = null;
  private pausesSinceLog = 0;

  constructor(private readonly log: Logger) {}

  rejected(reason: string, detail: string): void {
    this.rejectedByReason.set(reason, (this.rejectedByReason.get(reason) ?? 0) + 1);
    this.log.warn('connection_rejected', { reason, detail });
  }

  badRequest(status: number, code: string, detail: string): void {
    this.badRequestsByCode.set(code, (this.badRequestsByCode.get(code) ?? 0) + 1);
    this.log.warn('bad_request', { status, code, detail });
  }

  clientAborted(phase: 'body' | 'response'): void {
    this.clientAborts++;
    this.log.debug('client_abort', { phase });
  }

  drainGaveUp(unreadBytes: number): void {
    this.drainsGivenUp++;
    this.log.warn('drain_gave_up', { unread_bytes: unreadBytes });
  }

  acceptPaused(open: number, limit: number, now = Date.now()): void {
    this.acceptPauses++;
    this.pausesSinceLog++;
    if (!shouldLogPause(now, this.pauseLoggedAt)) return;
    this.log.warn('accept_paused', { open, limit, pauses: this.pausesSinceLog, note: 'at --max-connections; the rest wait in the backlog' });
    this.pauseLoggedAt = now;
    this.pausesSinceLog = 0;
  }
}
