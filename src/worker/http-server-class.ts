/**
 * Whether an object is an HTTP(S) server whose 'request' handler can be served. https is
 * only looked at when something already loaded it (an https.Server cannot exist
 * otherwise): importing it here would load tls and crypto into every worker, about 3 MiB
 * of RSS for a check that is nearly always false.
 */
import * as http from 'node:http';

function httpsLoaded(): boolean {
  const loaded = (process as { moduleLoadList?: readonly string[] }).moduleLoadList;
  return loaded === undefined || loaded.includes('NativeModule https');
}

export function isHttpServer(x: unknown): x is http.Server {
  if (x instanceof http.Server) return true;
  if (x === null || typeof x !== 'object' || !httpsLoaded()) return false;
  const https = require('node:https') as typeof import('node:https');
  return x instanceof https.Server;
}
