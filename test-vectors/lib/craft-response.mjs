/**
 * Response envelopes written out from the formulas of SPEC.md §6.1, §6.2 and
 * §6.4, field by field, so that a case can change one thing: a header pair,
 * the inner record, the suite. With nothing changed, `craftResponse` must
 * reproduce `sealResponse` byte for byte (cases-response.mjs checks it for
 * every honest response), which pins §6.4's header order, times and padding.
 */
import {
  Kind,
  ZERO_NONCE,
  concat,
  deriveResponseKey,
  encodeCbor,
  padme,
  prefixFor,
  writeFrame,
} from '@blindwire/core/internal';
import { rawMap } from './craft.mjs';

/** The response header as [key, value] pairs in ascending key order (SPEC.md §6.2, §6.4 step 4). */
export function responsePairs(r) {
  const pairs = [
    [1, [r.suite.ids.kem, r.suite.ids.kdf, r.suite.ids.aead]],
    [3, r.responseId],
    [4, r.issuedAt],
    [5, r.expiresAt],
  ];
  if (r.contentType !== undefined) pairs.push([6, r.contentType]);
  pairs.push([10, r.requestId], [11, r.responder]);
  return pairs;
}

/** SPEC.md §6.4 step 6: `meta || body || padding`, `meta = { 4 => len(body) }`. */
export function responseInner(body, padding = 'none') {
  const meta = encodeCbor(new Map([[4, body.length]]));
  const length = meta.length + body.length;
  const padded = padding === 'padme' ? padme(length) : length;
  return concat(meta, body, new Uint8Array(padded - length));
}

/**
 * A response envelope. `r`: suite (a core suite), responseSecret (`rs_i`),
 * responseId, issuedAt, expiresAt, contentType?, requestId, responder (kid
 * bytes), body, padding?; and what a case changes: `editPairs` (rewrites the
 * header pairs, written in the order returned), `inner` (the AEAD plaintext),
 * `sealSuite` (the AEAD and key length actually used).
 */
export async function craftResponse(b, r) {
  const pairs = responsePairs(r);
  const header = rawMap(r.editPairs ? r.editPairs(pairs) : pairs);
  const inner = r.inner ?? responseInner(r.body, r.padding);
  const suite = r.sealSuite ?? r.suite;
  // SPEC.md §6.1: key = HKDF-Expand(rs_i, "blindwire/v1 response key" || response-id, Nk).
  const key = await deriveResponseKey(b, r.responseSecret, r.responseId, suite.keyLength);
  const aad = concat(prefixFor(Kind.Response), header);
  const ciphertext = await b.aeadSeal(suite.algorithm, key, ZERO_NONCE, inner, aad);
  return writeFrame(Kind.Response, header, ciphertext);
}
