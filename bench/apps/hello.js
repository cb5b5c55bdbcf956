// The benchmark app as a plain Node request listener: served by uwsgi-ts (both I/O
// paths) and, through bench/apps/node-http-server.js, by node:http behind proxy_pass.
//   GET /      -> "hello world\n"
//   GET /64k   -> 65536 bytes
//   POST /     -> reads the whole body, answers its length
'use strict';

const HELLO = Buffer.from('hello world\n');
const BIG = Buffer.alloc(65536, 0x61);

module.exports = function hello(req, res) {
  if (req.method === 'POST') {
    let length = 0;
    req.on('data', (chunk) => {
      length += chunk.length;
    });
    req.on('end', () => {
      const body = `${length}\n`;
      res.writeHead(200, { 'content-type': 'text/plain', 'content-length': Buffer.byteLength(body) });
      res.end(body);
    });
    return;
  }
  const body = req.url === '/64k' ? BIG : HELLO;
  res.writeHead(200, { 'content-type': req.url === '/64k' ? 'application/octet-stream' : 'text/plain', 'content-length': body.length });
  res.end(body);
};
