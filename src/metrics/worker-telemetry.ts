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

export interface WorkerTelemetry {
  observer: RequestObserver | null;
  stats: RequestStats | null;
}

export function startWorkerTelemetry(settings: WorkerSettings, protocol: ProtocolCounters, others: RequestObserver[] = []): WorkerTelemetry {
  const observers = [...others];
  let stats: RequestStats | null = null;
  if (settings.metrics) {
    // Loaded only when asked for: requiring prom-client costs 100-250 ms of start-up on a
    // busy 2-core machine (measured), which every worker spawn would pay.
    const { answerCollects } = require('./worker-endpoint') as typeof import('./worker-endpoint');
    const { createWorkerRegistry, LoopLagMonitor } = require('./worker-registry') as typeof import('./worker-registry');
    stats = new RequestStats();
    const loop = new LoopLagMonitor();
    answerCollects(createWorkerRegistry(stats, protocol, loop), stats, loop);
    observers.push(stats);
  }
  return { observer: combineObservers(observers), stats };
}
