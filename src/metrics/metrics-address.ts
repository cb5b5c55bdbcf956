/**
 * Where the master serves /metrics, /healthz, /readyz and /stats (--metrics): HOST:PORT,
 * [IPv6]:PORT, a bare PORT or :PORT (loopback: metrics and status are for the machine's
 * own scraper unless an address says otherwise), or a unix socket PATH.
 */
import { formatSocketAddress, parseSocketAddress } from '../config/socket-address';

export type MetricsAddress = { readonly kind: 'tcp'; readonly host: string; readonly port: number } | { readonly kind: 'unix'; readonly path: string };

/** The host of an address given as PORT or :PORT. */
export const METRICS_DEFAULT_HOST = '127.0.0.1';

export const METRICS_ADDRESS_FORMS = 'PORT, :PORT, HOST:PORT, [IPv6]:PORT or a unix socket PATH (or unix:PATH, tcp:HOST:PORT)';

/** PORT or :PORT: an address on METRICS_DEFAULT_HOST. */
const BARE_PORT = /^:?\d+$/;

export type MetricsAddressParse = { ok: true; address: MetricsAddress } | { ok: false; reason: string };

export function parseMetricsAddress(raw: string): MetricsAddressParse {
  const text = BARE_PORT.test(raw) ? `${METRICS_DEFAULT_HOST}:${raw.replace(/^:/, '')}` : raw;
  const parsed = parseSocketAddress(text);
  if (!parsed.ok) return parsed;
  const a = parsed.address;
  if (a.kind === 'fd') return { ok: false, reason: 'the metrics listener cannot be an inherited fd' };
  return { ok: true, address: a };
}

export function formatMetricsAddress(address: MetricsAddress): string {
  const text = formatSocketAddress(address);
  // The one form --metrics reads differently from --socket: a bare PORT (or :PORT), which
  // a unix path of digits would look like.
  return address.kind === 'unix' && BARE_PORT.test(text) ? `unix:${address.path}` : text;
}
