// A uwsgi handler: the request in, { status, headers, body } out. The shape that costs
// the least per request (no stream or header object unless asked for). Run it with
//   npx uwsgi-ts --socket /tmp/app.sock examples/uwsgi-handler.js
'use strict';

const TEXT = { 'content-type': 'text/plain; charset=utf-8' };

exports.uwsgi = async (request) => {
  if (request.method === 'POST') {
    const body = await request.text();
    return { headers: TEXT, body: `You sent ${Buffer.byteLength(body)} bytes\n` };
  }
  return { headers: TEXT, body: `Hello from uwsgi-ts: ${request.method} ${request.url}\n` };
};
