/**
 * A raw uwsgi client for tests: builds packets byte by byte (including malformed ones),
 * sends them over a unix socket in any split, and reads back whatever comes.
 */
import * as net from 'node:net';

export type Var = [string | Buffer, string | Buffer];

function bytes(x: string | Buffer): Buffer {
  return typeof x === 'string' ? Buffer.from(x, 'latin1') : x;
}

export function encodeVars(vars: Var[]): Buffer {
  const parts: Buffer[] = [];
  for (const [k, v] of vars) {
    const kb = bytes(k);
    const vb = bytes(v);
    const kl = Buffer.alloc(2);
    kl.writeUInt16LE(kb.length);
    const vl = Buffer.alloc(2);
    vl.writeUInt16LE(vb.length);
    parts.push(kl, kb, vl, vb);
  }
  return Buffer.concat(parts);
}

export interface PacketOptions {
  modifier1?: number;
  modifier2?: number;
  /** Override the datasize field (for malformed packets). */
  datasize?: number;
}

export function packet(vars: Var[] | Buffer, body: Buffer | string = Buffer.alloc(0), o: PacketOptions = {}): Buffer {
  const block = Buffer.isBuffer(vars) ? vars : encodeVars(vars);
  const head = Buffer.alloc(4);
  head[0] = o.modifier1 ?? 0;
  head.writeUInt16LE(o.datasize ?? block.length, 1);
  head[3] = o.modifier2 ?? 0;
  return Buffer.concat([head, block, bytes(body)]);
}

/** The vars nginx's uwsgi_params sends, for a request built by hand. */
export function nginxVars(method: string, uri: string, headers: Record<string, string> = {}, contentLength = ''): Var[] {
  const [path, query = ''] = uri.split('?');
  const vars: Var[] = [
    ['QUERY_STRING', query],
    ['REQUEST_METHOD', method],
    ['CONTENT_TYPE', headers['content-type'] ?? ''],
    ['CONTENT_LENGTH', contentLength],
    ['REQUEST_URI', uri],
    ['PATH_INFO', decodeURIComponent(path)],
    ['DOCUMENT_ROOT', '/usr/share/nginx/html'],
    ['SERVER_PROTOCOL', 'HTTP/1.1'],
    ['REQUEST_SCHEME', 'http'],
    ['REMOTE_ADDR', '127.0.0.1'],
    ['REMOTE_PORT', '54321'],
    ['SERVER_PORT', '80'],
    ['SERVER_NAME', 'localhost'],
  ];
  for (const [name, value] of Object.entries(headers)) {
    vars.push([`HTTP_${name.toUpperCase().replace(/-/g, '_')}`, value]);
  }
  if (!('host' in headers)) vars.push(['HTTP_HOST', 'localhost']);
  return vars;
}

export interface RawResult {
  data: Buffer;
  /** The server closed the connection (EOF or reset) before our timeout. */
  closed: boolean;
  reset: boolean;
  elapsedMs: number;
}

export interface RawOptions {
  /** Delay between chunks. */
  delayMs?: number;
  /** Half-close our side after the last chunk. */
  endAfter?: boolean;
  /** Give up waiting for the server after this long. */
  timeoutMs?: number;
}

/** A unix socket path, or a TCP address. */
export type Target = string | { host: string; port: number };

export function rawExchange(target: Target, chunks: Buffer | Buffer[], o: RawOptions = {}): Promise<RawResult> {
  const list = Array.isArray(chunks) ? chunks : [chunks];
  const started = Date.now();
  return new Promise((resolve) => {
    const sock = typeof target === 'string' ? net.connect({ path: target }) : net.connect(target);
    const received: Buffer[] = [];
    let settled = false;
    let reset = false;
    const finish = (closed: boolean) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      sock.destroy();
      resolve({ data: Buffer.concat(received), closed, reset, elapsedMs: Date.now() - started });
    };
    const timer = setTimeout(() => finish(false), o.timeoutMs ?? 5000);
    sock.on('data', (d) => received.push(d));
    sock.on('end', () => finish(true));
    sock.on('error', () => {
      reset = true;
      finish(true);
    });
    sock.on('close', () => finish(true));
    sock.on('connect', async () => {
      for (let i = 0; i < list.length; i++) {
        if (settled) return;
        if (list[i].length > 0) sock.write(list[i]);
        if (o.delayMs && i < list.length - 1) await new Promise((r) => setTimeout(r, o.delayMs));
      }
      if (o.endAfter) sock.end();
    });
  });
}

export interface ParsedResponse {
  status: number;
  reason: string;
  statusLine: string;
  headers: [string, string][];
  header(name: string): string | undefined;
  body: Buffer;
}

export function parseResponse(data: Buffer): ParsedResponse {
  const end = data.indexOf('\r\n\r\n');
  if (end < 0) throw new Error(`no complete response head in ${JSON.stringify(data.toString('latin1').slice(0, 200))}`);
  const lines = data.subarray(0, end).toString('latin1').split('\r\n');
  const statusLine = lines[0];
  const m = /^HTTP\/1\.1 (\d{3}) (.*)$/.exec(statusLine);
  if (!m) throw new Error(`bad status line ${JSON.stringify(statusLine)}`);
  const headers = lines.slice(1).map((l) => {
    const i = l.indexOf(':');
    return [l.slice(0, i).trim(), l.slice(i + 1).trim()] as [string, string];
  });
  return {
    status: Number(m[1]),
    reason: m[2],
    statusLine,
    headers,
    header: (name) => headers.find(([n]) => n.toLowerCase() === name.toLowerCase())?.[1],
    body: data.subarray(end + 4),
  };
}

/** One well-formed request straight to the uwsgi socket. */
export async function uwsgiRequest(
  target: Target,
  method: string,
  uri: string,
  headers: Record<string, string> = {},
  body: Buffer | string = '',
): Promise<ParsedResponse> {
  const b = bytes(body);
  const cl = b.length > 0 || method === 'POST' || method === 'PUT' ? String(b.length) : '';
  const r = await rawExchange(target, packet(nginxVars(method, uri, headers, cl), b));
  return parseResponse(r.data);
}
