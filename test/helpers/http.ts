/** A plain HTTP client for tests that talk to nginx: no keep-alive, raw headers kept. */
import * as http from 'node:http';

export interface HttpResult {
  status: number;
  headers: http.IncomingHttpHeaders;
  rawHeaders: string[];
  body: Buffer;
}

export interface HttpOptions {
  method?: string;
  headers?: http.OutgoingHttpHeaders | [string, string][];
  body?: Buffer | string;
  timeoutMs?: number;
}

export function httpRequest(url: string, o: HttpOptions = {}): Promise<HttpResult> {
  return new Promise((resolve, reject) => {
    const headers = Array.isArray(o.headers) ? o.headers.flat() : o.headers;
    const req = http.request(url, { method: o.method ?? 'GET', headers: headers as http.OutgoingHttpHeaders, agent: false });
    req.setTimeout(o.timeoutMs ?? 10_000, () => req.destroy(new Error(`timeout: ${o.method ?? 'GET'} ${url}`)));
    req.on('error', reject);
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', reject);
      res.on('end', () =>
        resolve({ status: res.statusCode!, headers: res.headers, rawHeaders: res.rawHeaders, body: Buffer.concat(chunks) }),
      );
    });
    req.end(o.body);
  });
}
