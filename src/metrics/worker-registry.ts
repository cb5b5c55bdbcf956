/**
 * A worker's prom-client registry: prom-client's default process and Node metrics plus the
 * uwsgi_ts_* series, computed at scrape time from the counters the request path keeps
 * (request-stats.ts, protocol-counters.ts). The master adds the worker="<slot>" label.
 */
import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';
import { collectDefaultMetrics, Registry } from 'prom-client';
import { PARSE_STATUS_CODES } from '../protocol/parse-status';
import type { FramingError } from '../protocol/packet-assembler';
import type { ProtocolCounters } from '../worker/protocol-counters';
import { histogramSamples, registerSnapshotMetric, type MetricSample } from './metric-family';
import { DURATION_BUCKETS_SECONDS, type RequestStats } from './request-stats';

/** Event-loop delay sampling period: fine enough to see a 20 ms stall, a timer wake-up
 * every 10 ms costs nothing measurable. */
export const LOOP_DELAY_RESOLUTION_MS = 10;

const FRAMING_ERRORS: readonly FramingError[] = ['unsupported_modifier', 'vars_too_large', 'header_truncated', 'vars_truncated'];

/** Rejections that are a malformed uwsgi packet (framing or vars block); the others
 * (head_timeout, peer_not_allowed, body_truncated, ...) are counted as rejected
 * connections. */
export const MALFORMED_PACKET_KINDS: ReadonlySet<string> = new Set<string>([
  ...FRAMING_ERRORS,
  ...Object.values(PARSE_STATUS_CODES).filter((code) => code !== 'ok'),
]);

function byKey(map: ReadonlyMap<string, number>, label: string, filter: (key: string) => boolean): MetricSample[] {
  const samples: MetricSample[] = [];
  for (const [key, value] of map) if (filter(key)) samples.push({ labels: { [label]: key }, value });
  return samples;
}

/** Largest event-loop delay since the previous scrape. */
export class LoopLagMonitor {
  private readonly histogram: IntervalHistogram = monitorEventLoopDelay({ resolution: LOOP_DELAY_RESOLUTION_MS });

  constructor() {
    this.histogram.enable();
  }

  /** Seconds; resets the window. */
  takeMaxSeconds(): number {
    const max = this.histogram.count > 0 ? this.histogram.max / 1e9 : 0;
    this.histogram.reset();
    return max;
  }

  /** Seconds, without resetting (for the live status view). */
  peekMaxSeconds(): number {
    return this.histogram.count > 0 ? this.histogram.max / 1e9 : 0;
  }
}

export function createWorkerRegistry(stats: RequestStats, protocol: ProtocolCounters, loop: LoopLagMonitor): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const metric = registerSnapshotMetric.bind(null, registry);
  metric('uwsgi_ts_requests_total', 'Requests answered (or given up) by method and status code; code "none": the client left before any response.', 'counter', () =>
    stats.countsByMethodAndCode().map((r) => ({ labels: { method: r.method, code: r.code }, value: r.count })),
  );
  metric('uwsgi_ts_request_duration_seconds', 'Time from the complete request packet to the end of the response.', 'histogram', () =>
    histogramSamples('uwsgi_ts_request_duration_seconds', DURATION_BUCKETS_SECONDS, stats.durationBuckets, stats.total, stats.durationSum),
  );
  metric('uwsgi_ts_requests_in_flight', 'Requests being served now.', 'gauge', () => [{ labels: {}, value: stats.inFlight }]);
  metric('uwsgi_ts_request_bytes_total', 'Request bytes read: uwsgi header, vars block and body.', 'counter', () => [
    { labels: {}, value: stats.bytesIn },
  ]);
  metric('uwsgi_ts_response_bytes_total', 'Response bytes written: status line, headers and body.', 'counter', () => [
    { labels: {}, value: stats.bytesOut },
  ]);
  metric('uwsgi_ts_requests_aborted_total', 'Requests whose client went away before the response was complete.', 'counter', () => [
    { labels: {}, value: stats.aborted },
  ]);
  metric('uwsgi_ts_malformed_packets_total', 'Connections closed for a malformed uwsgi packet, by kind.', 'counter', () =>
    byKey(protocol.rejectedByReason, 'kind', (k) => MALFORMED_PACKET_KINDS.has(k)),
  );
  metric('uwsgi_ts_connections_rejected_total', 'Connections closed without a response for another reason (timeouts, peers not allowed, truncated bodies).', 'counter', () =>
    byKey(protocol.rejectedByReason, 'reason', (k) => !MALFORMED_PACKET_KINDS.has(k)),
  );
  metric('uwsgi_ts_bad_requests_total', 'Requests refused with 400 or 413 after the packet parsed, by code.', 'counter', () =>
    byKey(protocol.badRequestsByCode, 'code', () => true),
  );
  metric('uwsgi_ts_worker_rss_bytes', 'Resident set size of the worker process.', 'gauge', () => [
    { labels: {}, value: process.memoryUsage.rss() },
  ]);
  metric('uwsgi_ts_worker_event_loop_lag_seconds', 'Largest event-loop delay of the worker since the previous scrape.', 'gauge', () => [
    { labels: {}, value: loop.takeMaxSeconds() },
  ]);
  return registry;
}
