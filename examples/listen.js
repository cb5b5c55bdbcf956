// An app that starts its own server, unchanged from how it runs without uwsgi-ts:
//   npx uwsgi-ts --socket /tmp/app.sock examples/listen.js
// Under uwsgi-ts, listen() binds nothing; the server's handler is served on the uwsgi
// socket instead, and close() waits for in-flight requests.
'use strict';
const http = require('node:http');

const server = http.createServer((req, res) => {
  res.setHeader('content-type', 'text/plain; charset=utf-8');
  res.end('Hello from an app that calls listen()\n');
});

server.listen(process.env.PORT || 3000, () => {
  console.log('listening on', server.address());
});

process.on('SIGTERM', () => server.close(() => process.exit(0)));
