/**
 * The worker's request counters, kept in plain numbers and typed arrays on the hot path
 * (a prom-client labelled counter plus a histogram observation cost about 1 µs per
 * request, measured; these cost a few tens of ns) and turned into prom-client metric
 * objects only when the master scrapes (worker-registry.ts).
 */
import type { ObservedRequest, RequestObserver } from './request-observer';

/** Request duration histogram bounds, in seconds: from a fast hello answer to a slow
 * report, roughly ×2.5 apart (Prometheus' usual spacing). */
export const DURATION_BUCKETS_SECONDS: readonly number[] = [
  0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30,
];

/** Methods counted under their own name; any other token a client sends is counted as
 * "other", so a client cannot create series at will. */
export const COUNTED_METHODS: readonly string[] = ['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'CONNECT', 'TRACE'];
export const OTHER_METHOD = 'other';

/** Status codes are 100-599 (the response writer refuses others); index 0 holds "no
 * response was sent" (the peer went away first). */
const STATUS_SLOTS = 600;
export const NO_STATUS_CODE = 'none';

export interface CurrentRequest {
  method: string;
  uri: string;
  remoteAddr: string;
  /** How long it has been running, in milliseconds. */
  ageMs: number;
}

export class RequestStats implements RequestObserver {
  inFlight = 0;
  total = 0;
  bytesIn = 0;
  bytesOut = 0;
  aborted = 0;
  durationSum = 0;
  readonly durationBuckets = new Float64Array(DURATION_BUCKETS_SECONDS.length);
  /** method → counts indexed by status code. */
  readonly byMethod = new Map<string, Float64Array>();
  /** Requests begun and not yet ended, oldest first (Set keeps insertion order). */
  readonly active = new Set<ObservedRequest>();

  begin(request: ObservedRequest): void {
    this.inFlight++;
    this.active.add(request);
  }

  end(request: ObservedRequest): void {
    this.inFlight--;
    this.active.delete(request);
    this.total++;
    this.bytesIn += request.bytesIn;
    this.bytesOut += request.bytesOut;
    if (request.aborted) this.aborted++;
    const method = COUNTED_METHODS.includes(request.method) ? request.method : OTHER_METHOD;
    let counts = this.byMethod.get(method);
    if (counts === undefined) {
      counts = new Float64Array(STATUS_SLOTS);
      this.byMethod.set(method, counts);
    }
    const status = request.status;
    counts[status > 0 && status < STATUS_SLOTS ? status : 0]!++;
    const seconds = request.durationMs / 1000;
    this.durationSum += seconds;
    const bounds = DURATION_BUCKETS_SECONDS;
    for (let i = 0; i < bounds.length; i++) {
      if (seconds <= bounds[i]!) {
        this.durationBuckets[i]!++;
        break;
      }
    }
  }

  /** Every (method, code, count) with a non-zero count. */
  countsByMethodAndCode(): { method: string; code: string; count: number }[] {
    const rows: { method: string; code: string; count: number }[] = [];
    for (const [method, counts] of this.byMethod) {
      for (let status = 0; status < counts.length; status++) {
        const count = counts[status]!;
        if (count > 0) rows.push({ method, code: status === 0 ? NO_STATUS_CODE : String(status), count });
      }
    }
    return rows;
  }

  /** The oldest request in flight, for the live status view. */
  oldestActive(now: number): CurrentRequest | null {
    for (const r of this.active) {
      return { method: r.method, uri: r.uri, remoteAddr: r.remoteAddr, ageMs: Math.max(0, now - r.startedAt) };
    }
    return null;
  }
}
