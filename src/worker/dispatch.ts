/**
 * Runs the app for each exchange according to its shape, and turns an app failure into
 * a 500 when nothing was sent yet (or a closed connection when something was), without
 * letting it reach the worker: a throwing app never takes the worker down.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from '../log';
import type { LoadedApp } from './app-loader';
import type { Exchange, RequestHandler } from './exchange';
import { createNodeRequest, type RequestListener } from './node-adapter';
import { serveFetch } from './fetch-adapter';
import { serveDirect } from './direct-adapter';

function errorText(err: unknown): string {
  return String((err as Error)?.stack ?? err);
}

export function answerAppError(err: unknown, req: IncomingMessage, res: ServerResponse, log: Logger): void {
  log.error('app_error', { method: req.method, uri: req.url, error: errorText(err) });
  if (res.headersSent || res.writableEnded) {
    res.destroy();
    return;
  }
  for (const name of res.getHeaderNames()) res.removeHeader(name);
  res.statusCode = 500;
  res.statusMessage = 'Internal Server Error';
  res.setHeader('content-type', 'text/plain; charset=utf-8');
  res.end('Internal Server Error\n');
}

function runListener(listener: RequestListener, exchange: Exchange, log: Logger): void {
  const { req, res } = createNodeRequest(exchange);
  try {
    const result = listener(req, res) as { then?: unknown } | undefined;
    // An async listener's rejection would be an unhandled rejection under node:http;
    // here it is the request's error, answered with a 500.
    if (result !== undefined && result !== null && typeof result.then === 'function') {
      (result as Promise<unknown>).then(undefined, (err: unknown) => answerAppError(err, req, res, log));
    }
  } catch (err) {
    answerAppError(err, req, res, log);
  }
}

export function createDispatch(app: LoadedApp, log: Logger): RequestHandler {
  switch (app.kind) {
    case 'listener': {
      const listener = app.listener;
      return (exchange) => runListener(listener, exchange, log);
    }
    case 'server': {
      const server = app.server;
      const listener: RequestListener = (req, res) => {
        if (!server.emit('request', req, res)) throw new Error("the app's server has no 'request' listener");
      };
      return (exchange) => runListener(listener, exchange, log);
    }
    case 'direct': {
      const handler = app.handler;
      return (exchange) => serveDirect(handler, exchange, log);
    }
    case 'fetch': {
      const fetch = app.fetch;
      return (exchange) => void serveFetch(fetch, exchange, log);
    }
  }
}
