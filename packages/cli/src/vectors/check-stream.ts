/**
 * Checks one stream test vector (test-vectors/README.md "Stream cases",
 * SPEC.md §7a.5 and §12): `stream` is fed to `openStream` whole, cut at
 * `splits`, and one byte per write, with a fresh opener each time and the
 * plaintext read while it is written; each outcome is compared with
 * `expect`. On failure, what was released must be a prefix of `releasable`.
 * The case is parsed with the kit's schema first (which also checks that
 * `splits` are ascending offsets inside the stream), and fed with its
 * `feedings`. Written against the documented file format, not against the
 * generator.
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
import { feedings, type ExpectSuccess, type StreamExpectError } from '@blindwire/testkit';
import {
  checkError,
  checkOpened,
  openOptions,
  parseCase,
  type TrustSource,
  type VectorCase,
} from './check-case.js';

interface Fed {
  /** The plaintext released, concatenated. */
  released: Uint8Array;
  result?: OpenStreamResult;
  error?: unknown;
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

function checkSuccess(e: ExpectSuccess, fed: Fed): string[] {
  if (fed.result === undefined) {
    const why = isBlindwireError(fed.error)
      ? `${fed.error.code} (${fed.error.message})`
      : 'a non-Blindwire error';
    return [`expected success, got ${why}`];
  }
  const errs = checkOpened(e, fed.result);
  if (toHex(fed.released) !== e.payload) errs.unshift('released plaintext differs from payload');
  return errs;
}

/** SPEC.md §7a.5: nothing but a prefix of the bodies of the records verified before the failure. */
function checkReleased(e: StreamExpectError, released: Uint8Array): string[] {
  const allowed = fromHex(e.releasable);
  if (
    released.length <= allowed.length &&
    equalBytes(released, allowed.subarray(0, released.length))
  )
    return [];
  return [`released ${released.length} bytes that are not a prefix of releasable`];
}

/** The mismatches of one stream case on one backend and trust source (empty when it holds). */
export async function checkStreamCase(
  raw: VectorCase,
  backend: CryptoBackend,
  trust: TrustSource,
): Promise<string[]> {
  const c = parseCase(raw);
  if (Array.isArray(c)) return c;
  if (c.kind !== 'stream') return ['not a stream case: check it with checkCase'];
  const e = c.expect;
  const errs: string[] = [];
  for (const [how, pieces] of feedings(fromHex(c.stream), c.splits)) {
    const fed = await feed(pieces, await openOptions(c, backend, trust));
    const found =
      e.result === 'success'
        ? checkSuccess(e, fed)
        : [...checkError(e, fed.result, fed.error), ...checkReleased(e, fed.released)];
    errs.push(...found.map((m) => `(${how}) ${m}`));
  }
  return errs;
}
