/**
 * Which transport a worker serves connections with: the native connection path
 * (native/connection_path.cc + native-transport.ts) where the addon loads, or the
 * net.Socket reference transport. --io js forces the reference; --io native refuses to
 * start without the addon (the master checks before spawning); auto falls back to js with
 * one log line saying why.
 */
import { loadAddon, type NativeIo } from '../addon';
import type { Logger } from '../log';
import { JsTransport, type Transport, type TransportOptions } from './js-transport';
import { NativeTransport } from './native-transport';

export type IoPreference = 'auto' | 'native' | 'js';

/** The values of --io (UWSGI_TS_IO). */
export const IO_PREFERENCES = ['auto', 'native', 'js'] as const satisfies readonly IoPreference[];

/** The native connection path, or why it cannot run. */
export function nativeIo(): { ok: true; io: NativeIo } | { ok: false; reason: string } {
  const load = loadAddon();
  if (!load.ok) return load;
  if (typeof load.addon.ioInit !== 'function') {
    return { ok: false, reason: 'the loaded addon has no native connection path (a stale build: rebuild it with node-gyp)' };
  }
  return { ok: true, io: load.addon };
}

export function selectTransport(pref: IoPreference, options: TransportOptions, log: Logger): Transport {
  if (pref === 'js') return new JsTransport(options);
  const native = nativeIo();
  if (native.ok) return new NativeTransport(options, native.io);
  if (pref === 'native') throw new Error(`the native connection path was requested but is unavailable: ${native.reason}`);
  log.warn('io_fallback', { io: 'js', reason: native.reason });
  return new JsTransport(options);
}
