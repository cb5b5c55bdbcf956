/**
 * The worker's side of scrape-time collection: answers the master's collect requests
 * with its registry's families and its status figures. Runs on the worker's event loop,
 * between requests; a worker whose loop is blocked does not answer, and the master
 * reports that instead of waiting.
 */
import { performance } from 'node:perf_hooks';
import type { Registry } from 'prom-client';
import { isCollectRequest, type CollectReply, type CollectRequest, type WorkerStatus } from './collect-messages';
import type { MetricFamily } from './metric-family';
import type { RequestStats } from './request-stats';
import type { LoopLagMonitor } from './worker-registry';

export function workerStatus(stats: RequestStats, loop: LoopLagMonitor): WorkerStatus {
  return {
    requests: stats.total,
    inFlight: stats.inFlight,
    bytesIn: stats.bytesIn,
    bytesOut: stats.bytesOut,
    durationSum: stats.durationSum,
    rssBytes: process.memoryUsage.rss(),
    loopLagSeconds: loop.peekMaxSeconds(),
    current: stats.oldestActive(performance.now()),
  };
}

async function reply(request: CollectRequest, registry: Registry, stats: RequestStats, loop: LoopLagMonitor): Promise<CollectReply> {
  const message: CollectReply = { type: 'uwsgi_ts:collected', id: request.id, status: workerStatus(stats, loop) };
  if (request.what === 'metrics') message.metrics = (await registry.getMetricsAsJSON()) as unknown as MetricFamily[];
  return message;
}

/** Starts answering; returns the function that stops it. */
export function answerCollects(registry: Registry, stats: RequestStats, loop: LoopLagMonitor): () => void {
  const onMessage = (message: unknown) => {
    if (!isCollectRequest(message)) return;
    reply(message, registry, stats, loop).then(
      (answer) => {
        if (process.connected) process.send!(answer, undefined, undefined, () => {});
      },
      () => {
        // A metric that throws must not take the worker down; the master sees no answer.
      },
    );
  };
  process.on('message', onMessage);
  return () => process.off('message', onMessage);
}
