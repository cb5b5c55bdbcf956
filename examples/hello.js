// The smallest app: a Node request listener. Run it with
//   npx uwsgi-ts --socket /tmp/app.sock examples/hello.js
'use strict';

module.exports = (req, res) => {
  res.setHeader('content-type', 'text/plain; charset=utf-8');
  res.end(`Hello from uwsgi-ts: ${req.method} ${req.url}\n`);
};
