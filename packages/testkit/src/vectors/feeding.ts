/**
 * The comparison and feeding rules every reader of the vectors shares
 * (test-vectors/README.md "Stream cases", SPEC.md §7a.5): the three ways a
 * stream case is cut into writes, how the writes are fed to an opener while
 * its plaintext is read, and claims compared as maps. No dependency on
 * core: the caller creates the opener.
 */

export type Feeding = 'whole' | 'split' | 'bytes';

/**
 * README "Feeding": one write of all of `stream`; one write per piece cut at
 * every offset of `splits`; one write per byte. The pieces are views of
 * `stream`, not copies.
 */
export function feedings(stream: Uint8Array, splits: readonly number[]): [Feeding, Uint8Array[]][] {
  const cuts = [0, ...splits, stream.length];
  return [
    ['whole', [stream]],
    ['split', cuts.slice(1).map((end, i) => stream.subarray(cuts[i], end))],
    ['bytes', Array.from(stream, (_, i) => stream.subarray(i, i + 1))],
  ];
}

/** Claims compare as maps, not in encoding order; absent equals absent only. */
export function sameClaims(
  a: Readonly<Record<string, unknown>> | undefined,
  b: Readonly<Record<string, unknown>> | undefined,
): boolean {
  if (a === undefined || b === undefined) return a === b;
  const ka = Object.keys(a).sort();
  const kb = Object.keys(b).sort();
  return ka.length === kb.length && ka.every((k, i) => k === kb[i] && a[k] === b[k]);
}

/** A stream opener as far as feeding it goes: core's `openStream(options)` returns one. */
export interface StreamOpener<R> {
  readonly writable: WritableStream<Uint8Array>;
  readonly readable: ReadableStream<Uint8Array>;
  readonly result: Promise<R>;
}

/** How a fed stream ended: what was released (concatenated), and the result or the error. */
export interface Fed<R> {
  released: Uint8Array;
  result?: R;
  error?: unknown;
}

function concatBytes(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/**
 * README "Feeding": writes `pieces` to a fresh opener, one write each, then
 * ends the input, reading the released plaintext meanwhile (so that an
 * opener that hands out each chunk as it verifies is never blocked by its
 * reader). The outcome is the opener's `result`: the opener reports one
 * error through the writer, the reader and `result`.
 */
export async function feedOpener<R>(
  o: StreamOpener<R>,
  pieces: readonly Uint8Array[],
): Promise<Fed<R>> {
  const parts: Uint8Array[] = [];
  const reading = (async () => {
    const reader = o.readable.getReader();
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      parts.push(value.slice());
    }
  })();
  const writing = (async () => {
    const w = o.writable.getWriter();
    for (const p of pieces) await w.write(p);
    await w.close();
  })();
  const [outcome] = await Promise.allSettled([o.result, reading, writing]);
  const released = concatBytes(parts);
  return outcome.status === 'fulfilled'
    ? { released, result: outcome.value }
    : { released, error: outcome.reason as unknown };
}
