/**
 * Where the master serves /metrics, /healthz, /readyz and /stats (--metrics): HOST:PORT,
 * [IPv6]:PORT, a bare PORT or :PORT (loopback: metrics and status are for the machine's
 * own scraper unless an address says otherwise), or a unix socket PATH.
 */
import { parseSocketAddress } from '../config/socket-address';

export type MetricsAddress = { readonly kind: 'tcp'; readonly host: string; readonly port: number } | { readonly kind: 'unix'; readonly path: string };

/** The host of an address given as PORT or :PORT. */
export const METRICS_DEFAULT_HOST = '127.0.0.1';

export const METRICS_ADDRESS_FORMS = 'PORT, :PORT, HOST:PORT, [IPv6]:PORT or a unix socket PATH';

export type MetricsAddressParse = { ok: true; address: MetricsAddress } | { ok: false; reason: string };

export function parseMetricsAddress(raw: string): MetricsAddressParse {
  const text = /^:?\d+$/.test(raw) ? `${METRICS_DEFAULT_HOST}:${raw.replace(/^:/, '')}` : raw;
  if (text.startsWith('fd://')) return { ok: false, reason: 'the metrics listener cannot be an inherited fd' };
  const parsed = parseSocketAddress(text);
  if (!parsed.ok) return parsed;
  const a = parsed.address;
  if (a.kind === 'fd') return { ok: false, reason: 'the metrics listener cannot be an inherited fd' };
  return { ok: true, address: a };
}

export function formatMetricsAddress(address: MetricsAddress): string {
  if (address.kind === 'unix') return address.path;
  return address.host.includes(':') ? `[${address.host}]:${address.port}` : `${address.host}:${address.port}`;
}
