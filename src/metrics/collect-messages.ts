/**
 * What the master and a worker say to each other over the IPC channel at scrape time and
 * for the live status view. Names are prefixed so they never collide with other messages
 * on the channel.
 */
import type { MetricFamily } from './metric-family';
import type { CurrentRequest } from './request-stats';

/** What the master wants back: the metric families (a /metrics scrape) or only the
 * status figures (/stats, polled by `uwsgi-ts top`, cheaper). */
export type CollectWhat = 'metrics' | 'status';

export interface CollectRequest {
  type: 'uwsgi_ts:collect';
  id: number;
  what: CollectWhat;
}

/** A worker's figures for the live status view. */
export interface WorkerStatus {
  requests: number;
  inFlight: number;
  bytesIn: number;
  bytesOut: number;
  /** Sum of request durations in seconds (with `requests`: the mean latency). */
  durationSum: number;
  rssBytes: number;
  loopLagSeconds: number;
  /** The oldest request in flight. */
  current: CurrentRequest | null;
}

export interface CollectReply {
  type: 'uwsgi_ts:collected';
  id: number;
  status: WorkerStatus;
  /** Present when the request asked for metrics. */
  metrics?: MetricFamily[];
}


export function isCollectReply(message: unknown): message is CollectReply {
  return (message as CollectReply | null)?.type === 'uwsgi_ts:collected';
}

export function isCollectRequest(message: unknown): message is CollectRequest {
  return (message as CollectRequest | null)?.type === 'uwsgi_ts:collect';
}
