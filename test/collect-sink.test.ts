/**
 * CollectSink (request.buffer() / text() / json()): the bytes come out whole and in order
 * on every path, and chunks are let go as they arrive when the length was declared.
 */
import { describe, test } from 'node:test';
import * as assert from 'node:assert/strict';
import { COLLECT_PREALLOCATE_MAX_BYTES, CollectSink } from '../src/worker/collect-sink';

function collect(declared: number, chunks: Buffer[], afterEach?: (chunk: Buffer) => void): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const sink = new CollectSink(declared, resolve, reject);
    for (const chunk of chunks) {
      assert.equal(sink.onBodyData(chunk), true, 'never asks for a pause');
      afterEach?.(chunk);
    }
    sink.onBodyEnd();
  });
}

function bytes(n: number, seed: number): Buffer {
  const b = Buffer.alloc(n);
  for (let i = 0; i < n; i++) b[i] = (i * 31 + seed) & 0xff;
  return b;
}

describe('CollectSink', () => {
  test('the one chunk that is the whole body is handed over as it is (no copy)', async () => {
    const whole = bytes(1000, 1);
    assert.equal(await collect(1000, [whole]), whole);
  });

  test('a declared body in pieces is copied as it arrives: changing a chunk afterwards changes nothing', async () => {
    const parts = [bytes(300, 2), bytes(0, 3), bytes(500, 4), bytes(200, 5)];
    const expected = Buffer.concat(parts);
    // The transport reuses nothing, but an app-visible chunk the sink still held would
    // show here: the chunk's memory is scribbled over once the sink has had it.
    const body = await collect(1000, parts, (chunk) => chunk.fill(0xee));
    assert.ok(body.equals(expected));
    assert.equal(body.length, 1000);
  });

  test('no declared length: chunks are joined at the end', async () => {
    const parts = [bytes(10, 6), bytes(20, 7)];
    assert.ok((await collect(0, parts)).equals(Buffer.concat(parts)));
    assert.equal((await collect(0, [])).length, 0);
  });

  test('a declared length above the preallocation bound keeps chunks (nothing reserved for a claim)', async () => {
    const parts = [bytes(10, 8), bytes(20, 9)];
    const body = await collect(COLLECT_PREALLOCATE_MAX_BYTES + 1, parts);
    assert.ok(body.equals(Buffer.concat(parts)));
  });

  test('more than declared (never from the transports) still comes out whole and in order', async () => {
    const parts = [bytes(40, 10), bytes(40, 11), bytes(40, 12)];
    assert.ok((await collect(100, parts)).equals(Buffer.concat(parts)));
    const whole = [bytes(100, 13), bytes(5, 14)];
    assert.ok((await collect(100, whole)).equals(Buffer.concat(whole)));
  });

  test('where the transport reads into the buffer, it is asked to after each copied chunk, at the end of the copies', async () => {
    const whole = bytes(1000, 16);
    const asked: number[] = [];
    let target: Buffer | null = null;
    const body = await new Promise<Buffer>((resolve, reject) => {
      const sink = new CollectSink(1000, resolve, reject, {
        readBodyInto(buffer, offset) {
          target = buffer;
          asked.push(offset);
          return true;
        },
      });
      // Two chunks that arrived before buffer() (copied), then the transport's own reads.
      sink.onBodyData(Buffer.from(whole.subarray(0, 100)));
      sink.onBodyData(Buffer.from(whole.subarray(100, 250)));
      assert.deepEqual(asked, [100, 250]);
      whole.copy(target!, 250, 250, 700);
      sink.onBodyFilled(450);
      whole.copy(target!, 700, 700);
      sink.onBodyFilled(300);
      sink.onBodyEnd();
    });
    assert.ok(body.equals(whole), 'copies and direct reads make the body, in order');
    assert.equal(body, target, 'the buffer read into is the body: no copy at the end');
  });

  test('a transport that cannot read into the buffer gets chunks copied as before', async () => {
    const parts = [bytes(300, 17), bytes(700, 18)];
    let asked = 0;
    const body = await new Promise<Buffer>((resolve, reject) => {
      const sink = new CollectSink(1000, resolve, reject, {
        readBodyInto() {
          asked++;
          return false;
        },
      });
      for (const part of parts) sink.onBodyData(part);
      sink.onBodyEnd();
    });
    assert.ok(body.equals(Buffer.concat(parts)));
    assert.equal(asked, 1, 'asked while room was left, not once the buffer was full');
  });

  test('an error rejects', async () => {
    const err = new Error('client went away');
    await assert.rejects(
      new Promise((resolve, reject) => {
        const sink = new CollectSink(100, resolve, reject);
        sink.onBodyData(bytes(10, 15));
        sink.onBodyError(err);
      }),
      err,
    );
  });
});
