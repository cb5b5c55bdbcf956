import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { AssembleResult, PacketAssembler } from '../src/protocol/packet-assembler';
import { MAX_VARS_BLOCK_BYTES } from '../src/protocol/limits';
import { nginxVars, packet } from './helpers/uwsgi-client';

function assembleInPieces(bytes: Buffer, cuts: number[]): { result: AssembleResult; block: Buffer; rest: Buffer; a: PacketAssembler } {
  const a = new PacketAssembler(MAX_VARS_BLOCK_BYTES);
  let start = 0;
  let result: AssembleResult = AssembleResult.MORE;
  const rest: Buffer[] = [];
  for (const end of [...cuts, bytes.length]) {
    const piece = bytes.subarray(start, end);
    start = end;
    if (result === AssembleResult.DONE) {
      rest.push(piece);
      continue;
    }
    result = a.push(piece);
    if (result === AssembleResult.DONE) rest.push(a.rest);
  }
  return { result, block: Buffer.from(a.block.subarray(a.blockStart, a.blockEnd)), rest: Buffer.concat(rest), a };
}

const samples = [
  packet(nginxVars('GET', '/a?b=c', { 'user-agent': 'curl/8' })),
  packet(nginxVars('POST', '/upload', { 'content-type': 'text/plain' }, '11'), 'hello world'),
  packet([]),
  packet([['REQUEST_METHOD', 'GET'], ['X', '']], Buffer.from([0, 1, 2, 3, 4, 0, 0, 0])),
];

test('every split point of several packets assembles to the same block and rest', () => {
  for (const bytes of samples) {
    const datasize = bytes.readUInt16LE(1);
    const whole = assembleInPieces(bytes, []);
    assert.equal(whole.result, AssembleResult.DONE);
    assert.deepEqual(whole.block, bytes.subarray(4, 4 + datasize));
    for (let cut = 1; cut < bytes.length; cut++) {
      const split = assembleInPieces(bytes, [cut]);
      assert.equal(split.result, AssembleResult.DONE, `cut at ${cut}`);
      assert.deepEqual(split.block, whole.block, `block, cut at ${cut}`);
      assert.deepEqual(split.rest, bytes.subarray(4 + datasize), `rest, cut at ${cut}`);
      assert.equal(split.a.modifier2, bytes[3]);
    }
  }
});

test('one byte at a time assembles exactly as in one piece', () => {
  for (const bytes of samples) {
    const cuts = Array.from({ length: bytes.length - 1 }, (_, i) => i + 1);
    const r = assembleInPieces(bytes, cuts);
    assert.equal(r.result, AssembleResult.DONE);
    assert.deepEqual(r.block, bytes.subarray(4, 4 + bytes.readUInt16LE(1)));
  }
});

test('random multi-way splits agree with the whole packet', () => {
  let seed = 12345;
  const rand = (n: number) => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed % n;
  };
  for (let round = 0; round < 500; round++) {
    const bytes = samples[rand(samples.length)];
    const cuts = [...new Set(Array.from({ length: rand(6) + 1 }, () => rand(bytes.length - 1) + 1))].sort((x, y) => x - y);
    const r = assembleInPieces(bytes, cuts);
    const datasize = bytes.readUInt16LE(1);
    assert.deepEqual(r.block, bytes.subarray(4, 4 + datasize), `seed round ${round} cuts ${cuts}`);
    assert.deepEqual(r.rest, bytes.subarray(4 + datasize));
  }
});

test('a datasize above the limit is refused from the header alone, before any allocation', () => {
  const a = new PacketAssembler(4096);
  const head = Buffer.from([0, 0x01, 0x10, 0]); // datasize 4097
  assert.equal(a.push(head), AssembleResult.ERROR);
  assert.equal(a.error, 'vars_too_large');
  assert.equal(a.datasize, 4097);
});

test('the full 65535-byte block is accepted by default', () => {
  const a = new PacketAssembler(MAX_VARS_BLOCK_BYTES);
  const bytes = packet(Buffer.alloc(65535, 0), '', { datasize: 65535 });
  assert.equal(a.push(bytes.subarray(0, 30000)), AssembleResult.MORE);
  assert.equal(a.push(bytes.subarray(30000)), AssembleResult.DONE);
  assert.equal(a.blockEnd - a.blockStart, 65535);
});

test('an unsupported modifier1 is refused and named', () => {
  const a = new PacketAssembler(MAX_VARS_BLOCK_BYTES);
  assert.equal(a.push(Buffer.from([5, 0, 0, 0])), AssembleResult.ERROR);
  assert.equal(a.error, 'unsupported_modifier');
  assert.equal(a.modifier1, 5);
});

test('a ping (modifier1 100) completes like a packet and is told apart by modifier1', () => {
  const a = new PacketAssembler(MAX_VARS_BLOCK_BYTES);
  assert.equal(a.push(Buffer.from([100, 0, 0, 0])), AssembleResult.DONE);
  assert.equal(a.modifier1, 100);
  assert.equal(a.blockEnd - a.blockStart, 0);
});

test('end of input: nothing sent is quiet, a partial header or block is an error', () => {
  const empty = new PacketAssembler(MAX_VARS_BLOCK_BYTES);
  assert.equal(empty.endOfInput(), null);
  for (const n of [1, 2, 3]) {
    const a = new PacketAssembler(MAX_VARS_BLOCK_BYTES);
    assert.equal(a.push(Buffer.alloc(n)), AssembleResult.MORE);
    assert.equal(a.endOfInput(), 'header_truncated');
  }
  const a = new PacketAssembler(MAX_VARS_BLOCK_BYTES);
  assert.equal(a.push(Buffer.from([0, 100, 0, 0, 1, 2])), AssembleResult.MORE);
  assert.equal(a.endOfInput(), 'vars_truncated');
});
