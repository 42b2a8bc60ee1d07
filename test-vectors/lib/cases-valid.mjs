/**
 * Cases 001-019: envelopes that open (and the one multi-recipient case that
 * belongs with its successful twin). Each case: `id` and `name` (the file is
 * `NNN-name.json`), `description`, `spec` (SPEC.md sections), an optional
 * `messageIdLabel` (cases sharing an envelope share it), and `build`, which
 * gets { c: the cast, b: the case's deterministic backend, messageId } and
 * returns { envelope, open?: changes to the default open inputs, expect,
 * response? }.
 */
import { open, pureBackend } from '@blindwire/core';
import { sealResponseWithId, utf8 } from '@blindwire/core/internal';
import { craft } from './craft.mjs';
import {
  CONTEXT,
  NOW,
  SKEW,
  T,
  TTL,
  deterministicBackend,
  fail,
  messageIdFor,
  ok,
  sealHonest,
} from './fixtures.mjs';

/** The three-recipient envelope of cases 004-006 and 048 (one DRBG label, so identical bytes). */
export async function threeRecipients(c, messageId) {
  const recipients = [c.bob, c.carol, c.dave].map((i) => i.encryption);
  return sealHonest(c, deterministicBackend('three-recipients'), messageId, { recipients });
}

/** The invisible-salamander attempt of cases 017-018: bob and carol get different message secrets. */
async function salamander(c, messageId) {
  const b = deterministicBackend('commitment-mismatch');
  const secrets = [b.randomBytes(32), b.randomBytes(32)];
  const recipients = [c.bob.encryption, c.carol.encryption];
  return craft(b, c, { messageId, recipients, secretFor: (i) => secrets[i] });
}

const suiteCase = (id, aead, name) => ({
  id,
  name,
  description: `One recipient, suite X25519 / HKDF-SHA256 / ${aead}.`,
  spec: '§7 step 12, §4.3, §5',
  build: async ({ c, b, messageId }) => ({
    envelope: await sealHonest(c, b, messageId, { aead }),
    expect: ok(c),
  }),
});

const recipientCase = (id, who) => ({
  id,
  name: `three-recipients-${who}`,
  description: `Three recipients (bob, carol, dave), each entry with a wrapped message secret; opened by ${who}. Cases 004-006 share the envelope.`,
  spec: '§7 step 9, §4.1, §4.3',
  messageIdLabel: 'three-recipients',
  build: async ({ c, messageId }) => ({
    envelope: await threeRecipients(c, messageId),
    open: { recipient: [c[who].encryption] },
    expect: ok(c),
  }),
});

/** A one-recipient honest envelope opened with some open inputs changed. */
const openedWith = (id, name, description, spec, open) => ({
  id,
  name,
  description,
  spec,
  build: async ({ c, b, messageId }) => ({
    envelope: await sealHonest(c, b, messageId),
    open: typeof open === 'function' ? open(c) : open,
    expect: ok(c),
  }),
});

export const VALID_CASES = [
  suiteCase(1, 'AES-128-GCM', 'aes-128-gcm'),
  suiteCase(2, 'AES-256-GCM', 'aes-256-gcm'),
  suiteCase(3, 'ChaCha20-Poly1305', 'chacha20-poly1305'),
  recipientCase(4, 'bob'),
  recipientCase(5, 'carol'),
  recipientCase(6, 'dave'),
  {
    id: 7,
    name: 'padding-padme',
    description: 'PADMÉ padding: the inner record (1000 bytes) is zero-padded to 1024 bytes.',
    spec: '§7 step 13, §4.2',
    build: async ({ c, b, messageId }) => {
      const payload = utf8('p'.repeat(870));
      return {
        envelope: await sealHonest(c, b, messageId, { padding: 'padme' }, payload),
        expect: ok(c, { payload }),
      };
    },
  },
  {
    id: 8,
    name: 'padding-block',
    description:
      'Block padding, 256-byte blocks: the inner record is zero-padded to a multiple of 256 bytes.',
    spec: '§7 step 13, §4.2',
    build: async ({ c, b, messageId }) => ({
      envelope: await sealHonest(c, b, messageId, { padding: { blockSize: 256 } }),
      expect: ok(c),
    }),
  },
  {
    id: 9,
    name: 'claims-and-content-type',
    description:
      'A content type and public claims (text, positive and negative integers). Claim names are encoded in deterministic order: shorter first, then bytewise.',
    spec: '§7 step 5, §4.1, §3.1 rule 6',
    build: async ({ c, b, messageId }) => {
      const claims = { tenant: 'acme', priority: 5, 'x-route': 'eu-west-1', n: -7 };
      const contentType = 'application/json';
      return {
        envelope: await sealHonest(c, b, messageId, { contentType, claims }),
        expect: ok(c, { contentType, claims }),
      };
    },
  },
  {
    id: 10,
    name: 'empty-payload',
    description: 'An empty body.',
    spec: '§7 step 13, §4.2',
    build: async ({ c, b, messageId }) => ({
      envelope: await sealHonest(c, b, messageId, {}, new Uint8Array(0)),
      expect: ok(c, { payload: new Uint8Array(0) }),
    }),
  },
  {
    id: 11,
    name: 'empty-context',
    description: 'No bound context on either side: the context is the empty byte string.',
    spec: '§7 step 17, §4.3',
    build: async ({ c, b, messageId }) => ({
      envelope: await sealHonest(c, b, messageId, { context: undefined }),
      open: { context: new Uint8Array(0) },
      expect: ok(c),
    }),
  },
  {
    id: 12,
    name: 'binary-context',
    description: 'A bound context of arbitrary bytes (not UTF-8).',
    spec: '§7 step 17, §4.3',
    build: async ({ c, b, messageId }) => {
      const context = Uint8Array.of(0x00, 0xff, 0xfe, 0x80, 0x01);
      return {
        envelope: await sealHonest(c, b, messageId, { context }),
        open: { context },
        expect: ok(c),
      };
    },
  },
  openedWith(
    13,
    'key-rotation',
    "The recipient holds two key pairs (its previous and its current one); the envelope lists only the current one's kid.",
    '§7 step 8',
    (c) => ({ recipient: [c.bobPrevious, c.bob.encryption] }),
  ),
  openedWith(
    14,
    'expiry-boundary',
    'Opened exactly at expires-at + clockSkew: still valid (expired means now > expires-at + skew).',
    '§7 step 7',
    { now: (T + TTL + SKEW) * 1000 },
  ),
  openedWith(
    15,
    'allowed-sender-pattern',
    "allowedSenders ['spiffe://acme.example/agents/*'] matches the sender.",
    '§7 step 16',
    { allowedSenders: ['spiffe://acme.example/agents/*'] },
  ),
  {
    id: 16,
    name: 'max-envelope-bytes-boundary',
    description: 'maxEnvelopeBytes lowered to exactly the envelope length: opens.',
    spec: '§7 step 1, §8',
    build: async ({ c, b, messageId }) => {
      const envelope = await sealHonest(c, b, messageId);
      return { envelope, open: { limits: { maxEnvelopeBytes: envelope.length } }, expect: ok(c) };
    },
  },
  {
    id: 17,
    name: 'commitment-committed-recipient',
    description:
      "Case 018's envelope opened by bob, whose wrapped message secret is the one the commitment was computed from: it opens, so the envelope is otherwise valid.",
    spec: '§7 step 11, §4.3',
    messageIdLabel: 'commitment-mismatch',
    build: async ({ c, messageId }) => ({
      envelope: await salamander(c, messageId),
      expect: ok(c),
    }),
  },
  {
    id: 18,
    name: 'commitment-mismatch',
    description:
      'Two recipients; the sender wrapped a different message secret for carol than for bob (invisible salamanders). Carol derives a commitment that differs from the header.',
    spec: '§7 step 11, §4.3',
    messageIdLabel: 'commitment-mismatch',
    build: async ({ c, messageId }) => ({
      envelope: await salamander(c, messageId),
      open: { recipient: [c.carol.encryption] },
      expect: fail('ERR_OPEN_FAILED'),
    }),
  },
  {
    id: 19,
    name: 'response',
    kind: 'response',
    description:
      "A request (alice to bob) and bob's response. Open the request as bob, then seal response.payload with the response inputs: the result must equal response.envelope byte for byte. response.responseSecret lets a caller-side implementation open the response.",
    spec: '§6.3, §6.1',
    build: async ({ c, b, messageId }) => {
      const envelope = await sealHonest(c, b, messageId);
      const request = await open(envelope, {
        recipient: c.bob.encryption,
        trustedSenders: [c.alice],
        context: CONTEXT,
        now: NOW,
        backend: pureBackend,
      });
      const response = {
        payload: utf8('{"refund":"accepted","id":"R-77"}'),
        now: NOW + 2000,
        ttl: 300,
        messageId: messageIdFor('response-reply'),
        contentType: 'application/json',
        padding: 'padme',
      };
      const { payload, ...options } = response;
      const { envelope: sealed } = await sealResponseWithId(request, payload, {
        ...options,
        backend: pureBackend,
      });
      return { envelope, expect: ok(c), response: { ...response, envelope: sealed } };
    },
  },
];
