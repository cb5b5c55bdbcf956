// The benchmark app as a uwsgi handler (exports.uwsgi: request in, { status, headers,
// body } out), the shape that maps one to one onto the connection path. Same routes and
// answers as hello.js.
'use strict';

const HELLO = 'hello world\n';
const BIG = Buffer.alloc(65536, 0x61);
const TEXT = { 'content-type': 'text/plain' };
const BYTES = { 'content-type': 'application/octet-stream' };

async function post(request) {
  let length = 0;
  for await (const chunk of request) length += chunk.length;
  return { status: 200, headers: TEXT, body: `${length}\n` };
}

exports.uwsgi = function hello(request) {
  if (request.method === 'POST') return post(request);
  if (request.url === '/64k') return { status: 200, headers: BYTES, body: BIG };
  return { status: 200, headers: TEXT, body: HELLO };
};
