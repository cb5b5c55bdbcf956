// node:http serving a benchmark app on a unix socket, for nginx's proxy_pass with
// upstream keepalive: node bench/apps/node-http-server.js SOCKET APP_MODULE
'use strict';

const http = require('node:http');
const path = require('node:path');

const [socketPath, appModule] = process.argv.slice(2);
const handler = require(path.resolve(appModule));
const server = http.createServer(handler);
// nginx keeps upstream connections open for its keepalive_timeout (60 s): outlast it so
// the server is never the one closing a connection nginx is about to reuse.
server.keepAliveTimeout = 75_000;
server.headersTimeout = 76_000;
server.listen(socketPath, () => process.stdout.write(`listening ${socketPath}\n`));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
