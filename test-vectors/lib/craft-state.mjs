/**
 * An exported response state written out from SPEC.md §11a, not from core's
 * own encoder: the prefix with kind 0x20, the header map, HPKE Auth mode with
 * the requester's own key pair as sender and recipient, the info
 * "blindwire/v1 response state" and the
 * prefix and header bytes as associated data, and the state body. The
 * generator checks that it reproduces every honest export byte for byte, and
 * builds the crafted states with it. Generic CBOR and HPKE come from core.
 */
import { Kdf, Kem, createSuite } from '@blindwire/core/hpke';
import { concat, encodeCbor, encodeHead, utf8 } from '@blindwire/core/internal';

export const STATE_INFO = 'blindwire/v1 response state';

/** Bytewise order; a proper prefix first. */
function compare(a, b) {
  for (let i = 0; i < Math.min(a.length, b.length); i++) if (a[i] !== b[i]) return a[i] - b[i];
  return a.length - b.length;
}

/** SPEC.md §11a: the accepted pairs in ascending bytewise order of their CBOR encodings. */
export function sortAccepted(accepted) {
  return [...accepted].sort((x, y) =>
    compare(encodeCbor([x.kid, x.responseId]), encodeCbor([y.kid, y.responseId])),
  );
}

/**
 * `s`: suite ({ kem, kdf, aead }), issuedAt, expiresAt, requestId, kid,
 * publicKey and privateKey of the requester's key, ephemeral (the HPKE
 * ephemeral key pair),
 * responders ([{ kid, responseSecret }]) and accepted ([{ kid, responseId }],
 * written in the order given). Crafting hooks: `header(map)` and `body(map)`
 * change a map before it is encoded, `info` the HPKE info, `aad(prefix,
 * header)` the associated data, `kind` the fourth byte, and `written(map)`
 * changes the header written after the associated data was formed, and
 * `senderKey` the HPKE sender's key pair (default the requester's own; null:
 * Base mode, a state anyone could write).
 */
export async function craftState(b, s) {
  const hpke = createSuite(
    { kem: Kem.DhkemX25519HkdfSha256, kdf: Kdf.HkdfSha256, aead: s.suite.aead },
    { backend: b },
  );
  const { enc, context } = await hpke.setupSender({
    recipientPublicKey: s.publicKey,
    info: utf8(s.info ?? STATE_INFO),
    ephemeralKeyPair: s.ephemeral,
    ...(s.senderKey === null
      ? {}
      : { senderKey: s.senderKey ?? { privateKey: s.privateKey, publicKey: s.publicKey } }),
  });
  const prefix = Uint8Array.of(0x42, 0x57, 0x01, s.kind ?? 0x20);
  const h = new Map([
    [1, [s.suite.kem, s.suite.kdf, s.suite.aead]],
    [4, s.issuedAt],
    [5, s.expiresAt],
    [10, s.requestId],
    [13, s.kid],
    [14, enc],
  ]);
  const header = encodeCbor(s.header ? s.header(h) : h);
  const m = new Map([
    [1, s.responders.map((r) => [r.kid, r.responseSecret])],
    [2, s.accepted.map((a) => [a.kid, a.responseId])],
  ]);
  const body = encodeCbor(s.body ? s.body(m) : m);
  const aad = s.aad ? s.aad(prefix, header) : concat(prefix, header);
  const ciphertext = await context.seal(body, aad);
  context.dispose();
  const written = s.written ? encodeCbor(s.written(new Map(h))) : header;
  return {
    bytes: concat(
      prefix,
      encodeHead(2, written.length),
      written,
      encodeHead(2, ciphertext.length),
      ciphertext,
    ),
    body,
  };
}
