/**
 * The master's side of scrape-time collection: sends a collect request to each live
 * worker and waits for the answers, at most WORKER_COLLECT_TIMEOUT_MS. A worker that does
 * not answer in time (its loop is blocked, it is stopped or dying) is reported as missing
 * and the scrape goes on without it, so one stuck worker never stalls /metrics.
 */
import type { CollectReply, CollectRequest, CollectWhat } from './collect-messages';

/** How long a scrape waits for a worker. A busy worker answers between two requests,
 * within a few ms on a quiet machine, but 50 ms was measured to be missed now and then on
 * an overloaded 2-core one; the scrape as a whole must answer within 100 ms under load
 * (bench/metrics.bench.ts measures it), so a stuck worker may cost at most this much of it. */
export const WORKER_COLLECT_TIMEOUT_MS = 80;

export interface CollectTarget {
  slot: number;
  pid: number;
  /** Queues the message on the worker's IPC channel; false when the channel is closed
   * (not child.send()'s false, which only means a backlog and still delivers). */
  send(message: CollectRequest): boolean;
}

export interface CollectResult {
  slot: number;
  pid: number;
  /** null: the worker did not answer within the timeout. */
  reply: CollectReply | null;
}

interface Pending {
  pid: number;
  resolve(reply: CollectReply | null): void;
}

export class WorkerCollector {
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();

  constructor(private readonly timeoutMs = WORKER_COLLECT_TIMEOUT_MS) {}

  collect(targets: readonly CollectTarget[], what: CollectWhat): Promise<CollectResult[]> {
    return Promise.all(targets.map((t) => this.collectOne(t, what)));
  }

  /** An answer arrived from the worker with this pid (the master's IPC handler records it). */
  received(pid: number, reply: CollectReply): void {
    const p = this.pending.get(reply.id);
    // An answer from another process, or one that came after its timeout, is dropped.
    if (p === undefined || p.pid !== pid) return;
    p.resolve(reply);
  }

  private collectOne(target: CollectTarget, what: CollectWhat): Promise<CollectResult> {
    const id = this.nextId++;
    return new Promise<CollectResult>((resolve) => {
      const timer = setTimeout(() => finish(null), this.timeoutMs);
      const finish = (reply: CollectReply | null) => {
        clearTimeout(timer);
        this.pending.delete(id);
        resolve({ slot: target.slot, pid: target.pid, reply });
      };
      this.pending.set(id, { pid: target.pid, resolve: finish });
      let sent = false;
      try {
        sent = target.send({ type: 'uwsgi_ts:collect', id, what });
      } catch {
        sent = false;
      }
      if (!sent) finish(null);
    });
  }
}
