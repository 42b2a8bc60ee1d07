/**
 * Checks one stream test vector (test-vectors/README.md "Stream cases",
 * SPEC.md §7a.5 and §12): `stream` is fed to `openStream` whole, cut at
 * `splits`, and one byte per write, with a fresh opener each time and the
 * plaintext read while it is written; each outcome is compared with
 * `expect`. On failure, what was released must be a prefix of `releasable`.
 * Written against the documented file format, not against the generator.
 */
import {
  fromHex,
  isBlindwireError,
  openStream,
  toHex,
  type CryptoBackend,
  type OpenStreamOptions,
  type OpenStreamResult,
} from '@blindwire/core';
import { concat, equalBytes } from '@blindwire/core/internal';
import {
  checkError,
  openOptions,
  checkOpened,
  type TrustSource,
  type VectorCase,
} from './check-case.js';

type Feeding = 'whole' | 'split' | 'bytes';

interface Fed {
  /** The plaintext released, concatenated. */
  released: Uint8Array;
  result?: OpenStreamResult;
  error?: unknown;
}

/** The three feedings of the README, or a problem with `splits`. */
function feedings(stream: Uint8Array, splits: unknown): [Feeding, Uint8Array[]][] | string {
  const ok =
    Array.isArray(splits) &&
    splits.every(
      (o, i) =>
        Number.isSafeInteger(o) &&
        (o as number) > 0 &&
        (o as number) < stream.length &&
        (i === 0 || (o as number) > (splits[i - 1] as number)),
    );
  if (!ok) return '"splits" expected ascending offsets inside the stream';
  const cuts = [0, ...(splits as number[]), stream.length];
  return [
    ['whole', [stream]],
    ['split', cuts.slice(1).map((end, i) => stream.subarray(cuts[i], end))],
    ['bytes', Array.from(stream, (_, i) => stream.subarray(i, i + 1))],
  ];
}

/** Writes `pieces` to a fresh opener, then ends the input, reading the plaintext meanwhile. */
async function feed(pieces: Uint8Array[], options: OpenStreamOptions): Promise<Fed> {
  const o = openStream(options);
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
  // The opener reports one error through the writer, the reader and `result`.
  const [outcome] = await Promise.allSettled([o.result, reading, writing]);
  const released = concat(...parts);
  return outcome.status === 'fulfilled'
    ? { released, result: outcome.value }
    : { released, error: outcome.reason };
}

function checkSuccess(c: VectorCase, fed: Fed): string[] {
  const e = c.expect;
  if (fed.result === undefined) {
    const why = isBlindwireError(fed.error)
      ? `${fed.error.code} (${fed.error.message})`
      : 'a non-Blindwire error';
    return [`expected success, got ${why}`];
  }
  const errs = checkOpened(c, fed.result);
  if (toHex(fed.released) !== e.payload) errs.unshift('released plaintext differs from payload');
  return errs;
}

/** SPEC.md §7a.5: nothing but a prefix of the bodies of the records verified before the failure. */
function checkReleased(c: VectorCase, released: Uint8Array): string[] {
  const allowed = fromHex(c.expect.releasable ?? '');
  if (
    released.length <= allowed.length &&
    equalBytes(released, allowed.subarray(0, released.length))
  )
    return [];
  return [`released ${released.length} bytes that are not a prefix of releasable`];
}

/** The mismatches of one stream case on one backend and trust source (empty when it holds). */
export async function checkStreamCase(
  c: VectorCase,
  backend: CryptoBackend,
  trust: TrustSource,
): Promise<string[]> {
  if (typeof c.stream !== 'string') return ['stream case without "stream"'];
  const ways = feedings(fromHex(c.stream), c.splits);
  if (typeof ways === 'string') return [ways];
  const result = c.expect.result;
  if (result !== 'success' && result !== 'error')
    return [`unknown expect.result ${JSON.stringify(result)}`];
  const errs: string[] = [];
  for (const [how, pieces] of ways) {
    const fed = await feed(pieces, await openOptions(c, backend, trust));
    const found =
      result === 'success'
        ? checkSuccess(c, fed)
        : [...checkError(c, fed.result, fed.error), ...checkReleased(c, fed.released)];
    errs.push(...found.map((m) => `(${how}) ${m}`));
  }
  return errs;
}
