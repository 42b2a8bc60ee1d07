/** Sealing and opening whole streams in tests, one write() call per piece. */
import { concat } from '../../src/bytes.js';
import { openStream } from '../../src/stream/open-stream.js';
import type { OpenStreamOptions } from '../../src/stream/open-stream-options.js';
import { sealStream } from '../../src/stream/seal-stream.js';
import type { SealStreamOptions } from '../../src/stream/seal-stream-options.js';

/** A deterministic body of `n` bytes (a different one per seed). */
export function body(n: number, seed = 1): Uint8Array {
  const b = new Uint8Array(n);
  for (let i = 0; i < n; i++) b[i] = (i * 31 + seed * 7 + (i >> 8)) & 0xff;
  return b;
}

/** Seals `writes` (each one write() call): the sealed bytes, the pieces as emitted, and the result. */
export async function sealAll(options: SealStreamOptions, writes: Uint8Array[]) {
  const s = sealStream(options);
  const parts: Uint8Array[] = [];
  const reading = (async () => {
    for await (const c of s.readable as unknown as AsyncIterable<Uint8Array>) parts.push(c);
  })();
  reading.catch(() => {}); // a failed write reports the same error
  const w = s.writable.getWriter();
  for (const x of writes) await w.write(x);
  await w.close();
  await reading;
  return { sealed: concat(...parts), parts, done: await s.result };
}

/** Opens `pieces` (each one write() call): what was released, the readable's error, and the result (or its error). */
export async function openAll(options: OpenStreamOptions, pieces: Uint8Array[]) {
  const o = openStream(options);
  const writing = (async () => {
    const w = o.writable.getWriter();
    try {
      for (const p of pieces) await w.write(p);
      await w.close();
    } catch {
      // reported through the readable and the result
    }
  })();
  const released: Uint8Array[] = [];
  let error: unknown;
  const reader = o.readable.getReader();
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      released.push(value);
    }
  } catch (e) {
    error = e;
  }
  await writing;
  const result = await o.result.catch((e: unknown) => e);
  return { released: concat(...released), error, result };
}
