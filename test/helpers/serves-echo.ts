/**
 * The smallest proof that a server runs the echo fixture app end to end: a GET with a
 * request header and a POST with a body, straight to the uwsgi socket.
 */
import * as assert from 'node:assert/strict';
import { uwsgiRequest } from './uwsgi-client';

export async function assertServesEcho(socketPath: string): Promise<void> {
  const get = await uwsgiRequest(socketPath, 'GET', '/info?x=1', { 'x-k': 'v' });
  assert.equal(get.status, 200);
  assert.equal(JSON.parse(get.body.toString()).headers['x-k'], 'v');
  const post = await uwsgiRequest(socketPath, 'POST', '/digest', {}, 'hello');
  assert.equal(JSON.parse(post.body.toString()).length, 5);
}
