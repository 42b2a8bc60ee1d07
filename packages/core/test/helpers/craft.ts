/**
 * Builds envelopes the way a malicious but key-holding party could: valid
 * HPKE and AEAD around whatever header and inner record the test wants.
 * Mirrors seal() step by step using the internal pieces, so negative tests
 * can reach checks that come after decryption.
 */
import type { CryptoBackend } from '../../src/backend/types.js';
import { concat, fromBase64url, utf8 } from '../../src/bytes.js';
import { encodeCbor, type CborMap } from '../../src/wire/cbor.js';
import { writeFrame } from '../../src/wire/frame.js';
import { Kind, prefixFor } from '../../src/wire/kinds.js';
import {
  encodeMessageHeader,
  type MessageHeader,
  type RecipientEntry,
} from '../../src/wire/header.js';
import { encodeInner } from '../../src/wire/inner.js';
import {
  LABEL,
  ZERO_NONCE,
  contextCheck,
  deriveMessageKeys,
  signatureInput,
} from '../../src/wire/keys.js';
import { hpkeSuite, suiteByName } from '../../src/wire/suites.js';
import type { EncryptionPublicKey } from '../../src/identity/identity.js';

export interface CraftOptions {
  backend: CryptoBackend;
  recipients: EncryptionPublicKey[];
  context?: Uint8Array;
  sender: string;
  senderKid: string;
  /** Signs the transcript (given the exact bytes); or a fixed signature to paste in. */
  sign: ((tbs: Uint8Array) => Promise<Uint8Array>) | Uint8Array;
  body: Uint8Array;
  issuedAt: number;
  expiresAt: number;
  /** Per-recipient message secret (the invisible-salamander attack); default one shared random secret. */
  secretFor?: (index: number, shared: Uint8Array) => Uint8Array;
  /** Replace the encoded header bytes before use (they are still authenticated as given). */
  rewriteHeader?: (h: MessageHeader) => Uint8Array;
  /** Raw inner bytes instead of a well-formed inner record. */
  rawInner?: (wellFormed: Uint8Array) => Uint8Array;
}

export async function craft(o: CraftOptions): Promise<Uint8Array> {
  const b = o.backend;
  const suite = suiteByName(undefined);
  const hpke = hpkeSuite(suite, b);
  const context = o.context ?? new Uint8Array(0);
  const shared = b.randomBytes(32);
  const entries: RecipientEntry[] = [];
  const multi = o.recipients.length > 1;
  let first: Uint8Array | undefined;
  for (const [i, r] of o.recipients.entries()) {
    const { enc, context: ctx } = await hpke.setupSender({
      recipientPublicKey: r.publicKey,
      info: LABEL.hpkeInfo,
    });
    const kid = fromBase64url(r.kid);
    const secret = o.secretFor ? o.secretFor(i, shared) : shared;
    if (multi) {
      entries.push({ kid, enc, wrapped: await ctx.seal(secret, kid) });
      first ??= secret;
    } else {
      entries.push({ kid, enc });
      first = await ctx.export(LABEL.exportMessageSecret, 32);
    }
  }
  const keys = await deriveMessageKeys(b, first!, suite.keyLength);
  const h: MessageHeader = {
    suite: suite.ids,
    recipients: entries,
    messageId: b.randomBytes(16),
    issuedAt: o.issuedAt,
    expiresAt: o.expiresAt,
    contextCheck: await contextCheck(b, keys.contextKey, context),
    commitment: keys.commitment,
  };
  const header = o.rewriteHeader ? o.rewriteHeader(h) : encodeMessageHeader(h);
  const aad = concat(prefixFor(Kind.Message), header);
  const senderKid = fromBase64url(o.senderKid);
  const signature =
    o.sign instanceof Uint8Array
      ? o.sign
      : await o.sign(await signatureInput(b, aad, utf8(o.sender), senderKid, o.body));
  let inner = encodeInner({ sender: o.sender, senderKid, signature, body: o.body }, 'none');
  if (o.rawInner) inner = o.rawInner(inner);
  const ct = await b.aeadSeal(suite.algorithm, keys.contentKey, ZERO_NONCE, inner, aad);
  return writeFrame(Kind.Message, header, ct);
}

/** Re-encodes a header map with one field changed or added (keys kept ascending). */
export function headerWith(h: MessageHeader, key: number, value: unknown): Uint8Array {
  const out: CborMap = new Map();
  const fields: [number, unknown][] = [
    [1, [h.suite.kem, h.suite.kdf, h.suite.aead]],
    [2, h.recipients.map((r) => (r.wrapped ? [r.kid, r.enc, r.wrapped] : [r.kid, r.enc]))],
    [3, h.messageId],
    [4, h.issuedAt],
    [5, h.expiresAt],
    [7, h.contextCheck],
    [8, h.commitment],
  ];
  let placed = false;
  for (const [k, v] of fields) {
    if (!placed && key < k) {
      out.set(key, value as never);
      placed = true;
    }
    out.set(k, (k === key ? value : v) as never);
    if (k === key) placed = true;
  }
  if (!placed) out.set(key, value as never);
  return encodeCbor(out);
}
