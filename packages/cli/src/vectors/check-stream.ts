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
import { equalBytes } from '@blindwire/core/internal';
import {
  feedOpener,
  feedings,
  type ExpectSuccess,
  type Fed as TestkitFed,
  type StreamExpectError,
} from '@blindwire/testkit';
import {
  checkError,
  checkOpened,
  openOptions,
  parseCase,
  type TrustSource,
  type VectorCase,
} from './check-case.js';

type Fed = TestkitFed<OpenStreamResult>;

/** Writes `pieces` to a fresh opener, then ends the input, reading the plaintext meanwhile. */
function feed(pieces: Uint8Array[], options: OpenStreamOptions): Promise<Fed> {
  return feedOpener(openStream(options), pieces);
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
