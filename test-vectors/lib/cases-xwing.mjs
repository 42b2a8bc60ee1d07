/**
 * Cases 201-210: the X-Wing suites (SPEC.md §5.4): one and three X-Wing
 * recipients that open, each half of an X-Wing `enc` altered (the same
 * ERR_OPEN_FAILED), and the wire rule that an envelope has one KEM: under an
 * X-Wing suite every `enc` is 1120 bytes, so an entry with a 32-byte (X25519)
 * `enc` is malformed, and so is a 1120-byte `enc` under the X25519 suite.
 * Case 210: the kid an entry names is that of the recipient's X25519 key
 * while the suite is X-Wing (§7 steps 8-9): the key is found, then fails.
 * The shape of a case is described in cases-valid.mjs.
 */
import { craft, flipBit, headerPairs, rawMap } from './craft.mjs';
import { deterministicBackend, fail, ok, sealHonest } from './fixtures.mjs';
import { DEFAULT_LIMITS, fromBase64url } from '@blindwire/core';
import { Kind, decodeMessageHeader, parseFrame } from '@blindwire/core/internal';

/** The three-recipient X-Wing envelope of cases 203-205 (one DRBG label, so identical bytes). */
async function threeXWing(c, messageId) {
  const recipients = [c.bobXWing, c.carolXWing, c.daveXWing];
  return sealHonest(c, deterministicBackend('xwing-three-recipients'), messageId, { recipients });
}

const suiteCase = (id, aead, name) => ({
  id,
  name,
  description: `One X-Wing recipient, suite X-Wing / HKDF-SHA256 / ${aead} (kem 0x647a): enc is the 1120-byte X-Wing ciphertext.`,
  spec: '§7 step 9, §5.4, §4.1, §4.3',
  build: async ({ c, b, messageId }) => ({
    envelope: await sealHonest(c, b, messageId, { aead, recipients: c.bobXWing }),
    open: { recipient: [c.bobXWing] },
    expect: ok(c),
  }),
});

const recipientCase = (id, who) => ({
  id,
  name: `xwing-three-recipients-${who}`,
  description: `Three X-Wing recipients (bob, carol, dave), each entry with a 1120-byte enc and a wrapped message secret; opened by ${who}. Cases 203-205 share the envelope.`,
  spec: '§7 step 9, §5.4, §4.1, §4.3',
  messageIdLabel: 'xwing-three-recipients',
  build: async ({ c, messageId }) => ({
    envelope: await threeXWing(c, messageId),
    open: { recipient: [c[`${who}XWing`]] },
    expect: ok(c),
  }),
});

/** The single X-Wing recipient envelope with one bit of its enc flipped at `offset` (0: ct_M's first byte). */
const alteredEnc = (id, name, half, offset) => ({
  id,
  name,
  description: `One X-Wing recipient; one bit of the ${half} half of enc flipped (enc byte ${offset}). ML-KEM rejects implicitly, so decapsulation gives an unrelated secret either way: ERR_OPEN_FAILED, whichever half.`,
  spec: '§7 step 9, §5.4',
  build: async ({ c, b, messageId }) => {
    const envelope = await sealHonest(c, b, messageId, { recipients: c.bobXWing });
    const frame = parseFrame(envelope, Kind.Message, DEFAULT_LIMITS);
    const enc = decodeMessageHeader(frame.header, DEFAULT_LIMITS).recipients[0].enc;
    const at = Buffer.from(envelope).indexOf(Buffer.from(enc));
    return {
      envelope: flipBit(envelope, at + offset, 3),
      open: { recipient: [c.bobXWing] },
      expect: fail('ERR_OPEN_FAILED'),
    };
  },
});

/** A crafted, authenticated envelope whose header is rewritten by `edit` on its pairs. */
const rewritten = (id, name, description, o, edit) => ({
  id,
  name,
  description,
  spec: '§7 step 5, §4.1, §5.4',
  build: async ({ c, b, messageId }) => ({
    envelope: await craft(b, c, {
      messageId,
      ...o(c),
      rewriteHeader: (h) => rawMap(edit(headerPairs(h))),
    }),
    open: { recipient: [c.bobXWing, c.bob.encryption] },
    expect: fail('ERR_ENVELOPE_MALFORMED'),
  }),
});

export const XWING_CASES = [
  suiteCase(201, 'AES-256-GCM', 'xwing-aes-256-gcm'),
  suiteCase(202, 'ChaCha20-Poly1305', 'xwing-chacha20-poly1305'),
  recipientCase(203, 'bob'),
  recipientCase(204, 'carol'),
  recipientCase(205, 'dave'),
  alteredEnc(206, 'xwing-enc-ml-kem-half-altered', 'ML-KEM (ct_M, bytes 0-1087)', 100),
  alteredEnc(207, 'xwing-enc-x25519-half-altered', 'X25519 (ct_X, bytes 1088-1119)', 1100),
  rewritten(
    208,
    'xwing-suite-with-x25519-enc',
    'One envelope has one KEM (SPEC.md §5.4): an authenticated X-Wing envelope for bob and carol whose second entry carries a 32-byte (X25519-sized) enc. Under kem 0x647a every enc is 1120 bytes: ERR_ENVELOPE_MALFORMED when the header is parsed, before any key is used.',
    (c) => ({ kem: 'X-Wing', recipients: [c.bobXWing, c.carolXWing] }),
    (pairs) =>
      pairs.map(([k, v]) =>
        k === 2 ? [k, v.map((e, i) => (i === 1 ? [e[0], e[1].slice(0, 32), e[2]] : e))] : [k, v],
      ),
  ),
  rewritten(
    209,
    'x25519-suite-with-xwing-enc',
    "An authenticated X-Wing envelope for bob whose header's suite says kem 0x0020 (X25519): its 1120-byte enc is not the 32 bytes that KEM takes, ERR_ENVELOPE_MALFORMED when the header is parsed.",
    (c) => ({ kem: 'X-Wing', recipients: [c.bobXWing] }),
    (pairs) => pairs.map(([k, v]) => (k === 1 ? [k, [0x20, v[1], v[2]]] : [k, v])),
  ),
  {
    id: 210,
    name: 'xwing-entry-names-x25519-key',
    description:
      "An authenticated X-Wing envelope for bob whose only entry names the kid of bob's X25519 key (which he holds) instead of his X-Wing key's. Step 8 finds that key; step 9 runs the header's KEM, X-Wing, with an X25519 private key, which fails: ERR_OPEN_FAILED, as any step 9 failure. (An honest header never does this: a kid commits to its key's KEM, §5.2.)",
    spec: '§7 steps 8-9, §5.4, §5.2',
    build: async ({ c, b, messageId }) => ({
      envelope: await craft(b, c, {
        messageId,
        kem: 'X-Wing',
        recipients: [c.bobXWing],
        rewriteHeader: (h) =>
          rawMap(
            headerPairs(h).map(([k, v]) =>
              k === 2
                ? [k, v.map((e) => [fromBase64url(c.bob.encryption.kid), ...e.slice(1)])]
                : [k, v],
            ),
          ),
      }),
      open: { recipient: [c.bob.encryption] },
      expect: fail('ERR_OPEN_FAILED'),
    }),
  },
];
