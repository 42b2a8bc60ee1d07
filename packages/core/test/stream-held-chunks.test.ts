/**
 * Streams reuse buffers inside (the pending chunk, the reassembly buffer, the
 * nonce; SPEC.md §7a.3, §7a.5) but never one they handed out: a reader that
 * holds on to every chunk it was given finds them all intact at the end, and
 * no two of them share memory, while the writer overwrites one input buffer
 * for each of its writes (which a caller may do once a write resolved).
 */
import { describe, expect, it } from 'vitest';
import { concat, equalBytes } from '../src/bytes.js';
import { openStream } from '../src/stream/open-stream.js';
import { sealStream } from '../src/stream/seal-stream.js';
import { backends } from './helpers/backends.js';
import { NOW, cast, trusted } from './helpers/fixtures.js';
import { body } from './helpers/streams.js';

const CS = 1024;
/** Write sizes around the chunk and record sizes, cycled: pieces straddle every boundary. */
const SIZES = [1, 100, CS - 1, CS, CS + 1, CS + 16, 3 * CS + 5, 7];

/** Writes `data` in pieces of SIZES through one buffer, overwritten for every write; returns every chunk read, held. */
async function throughOneBuffer(
  stream: { readable: ReadableStream<Uint8Array>; writable: WritableStream<Uint8Array> },
  data: Uint8Array,
): Promise<Uint8Array[]> {
  const held: Uint8Array[] = [];
  const reading = (async () => {
    const reader = stream.readable.getReader();
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      held.push(value); // kept as given, no copy
    }
  })();
  const input = new Uint8Array(Math.max(...SIZES));
  const w = stream.writable.getWriter();
  for (let off = 0, i = 0; off < data.length; i++) {
    const n = Math.min(SIZES[i % SIZES.length]!, data.length - off);
    input.fill(0xa5); // what a reused buffer held before: never part of any output
    input.set(data.subarray(off, off + n));
    await w.write(input.subarray(0, n));
    off += n;
  }
  await w.close();
  await reading;
  return held;
}

/** No two chunks overlap in memory (views of one ArrayBuffer must be disjoint). */
function disjoint(chunks: Uint8Array[]): boolean {
  const ranges = chunks
    .filter((c) => c.length > 0)
    .map((c) => [c.buffer, c.byteOffset, c.byteOffset + c.length] as const)
    .sort((a, b) => a[1] - b[1]);
  for (let i = 0; i < ranges.length; i++) {
    for (let j = i + 1; j < ranges.length; j++) {
      const [ba, , ea] = ranges[i]!;
      const [bb, sb] = ranges[j]!;
      if (ba === bb && sb < ea) return false;
    }
  }
  return true;
}

describe.each(backends.map((b) => [b.name, b] as const))(
  'held chunks on the %s backend',
  (_name, backend) => {
    it('every chunk a sealer and an opener yield stays intact when the reader keeps them all', async () => {
      const { alice, bob } = await cast(backend);
      const plain = body(12 * CS + 333, 9);
      const s = sealStream({ sender: alice, recipients: bob, backend, now: NOW, chunkSize: CS });
      const sealedChunks = await throughOneBuffer(s, plain);
      await s.result;
      expect(sealedChunks.length).toBeGreaterThan(12);
      expect(disjoint(sealedChunks)).toBe(true);
      const sealed = concat(...sealedChunks);
      expect(sealed.length).toBe((await s.result).streamBytes);

      const o = openStream({ recipient: bob, trustedSenders: trusted(alice), backend, now: NOW });
      const opened = await throughOneBuffer(o, sealed);
      const result = await o.result;
      expect(result.bodyBytes).toBe(plain.length);
      expect(opened.length).toBeGreaterThan(12);
      expect(disjoint(opened)).toBe(true);
      expect(equalBytes(concat(...opened), plain)).toBe(true);
      // And the sealed chunks, read long after they were yielded, still open.
      const again = openStream({
        recipient: bob,
        trustedSenders: trusted(alice),
        backend,
        now: NOW,
      });
      expect(
        equalBytes(concat(...(await throughOneBuffer(again, concat(...sealedChunks)))), plain),
      ).toBe(true);
    });
  },
);
