// The benchmark app as an Express app (the usual (req, res) framework): same routes and
// answers as hello.js.
'use strict';

const express = require('express');

const BIG = Buffer.alloc(65536, 0x61);
const app = express();
app.disable('x-powered-by');
app.disable('etag');

app.get('/', (req, res) => {
  res.type('text/plain').send('hello world\n');
});
app.get('/64k', (req, res) => {
  res.type('application/octet-stream').send(BIG);
});
app.post('/', (req, res) => {
  let length = 0;
  req.on('data', (chunk) => {
    length += chunk.length;
  });
  req.on('end', () => {
    res.type('text/plain').send(`${length}\n`);
  });
});

module.exports = app;
