/**
 * What a worker sets up for observability, from its settings: the request counters and
 * registry answering the master's collects when --metrics is on. Returns the observer the
 * transport calls per request (null when nothing watches, so the request path pays
 * nothing).
 */
import type { WorkerSettings } from '../worker/settings';
import type { ProtocolCounters } from '../worker/protocol-counters';
import { combineObservers, type RequestObserver } from './request-observer';
import { RequestStats } from './request-stats';
import { answerCollects } from './worker-endpoint';
import { createWorkerRegistry, LoopLagMonitor } from './worker-registry';

export interface WorkerTelemetry {
  observer: RequestObserver | null;
  stats: RequestStats | null;
}

export function startWorkerTelemetry(settings: WorkerSettings, protocol: ProtocolCounters, others: RequestObserver[] = []): WorkerTelemetry {
  const observers = [...others];
  let stats: RequestStats | null = null;
  if (settings.metrics) {
    stats = new RequestStats();
    const loop = new LoopLagMonitor();
    answerCollects(createWorkerRegistry(stats, protocol, loop), stats, loop);
    observers.push(stats);
  }
  return { observer: combineObservers(observers), stats };
}
