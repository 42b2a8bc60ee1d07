/**
 * The exported-response-state vectors (SPEC.md §11a; test-vectors/README.md,
 * "Exported response states"). Honest states come from the public
 * `exportResponseState` of a request alice sealed with the public `seal`
 * (response-case.mjs), each checked byte for byte against craft-state.mjs;
 * crafted ones from craft-state.mjs alone. Every case is imported with the
 * public `importResponseState` before it is written and must reach its
 * outcome; a state that imports then opens its `responses`, in order.
 */
import {
  exportResponseState,
  fromBase64url,
  openResponse,
  pureBackend,
  toBase64url,
  toHex,
} from '@blindwire/core';
import { equalBytes } from '@blindwire/core/internal';
import { flipBit } from './craft.mjs';
import { craftState, sortAccepted } from './craft-state.mjs';
import { NOW, SKEW, T, TTL, deterministicBackend } from './fixtures.mjs';
import { CALLER_NOW, answer, rejected, request } from './response-case.mjs';

/** The requester's clock when it exports, and when another process imports, ms. */
export const EXPORT_NOW = NOW + 5000;
export const IMPORT_NOW = NOW + 10000;

/** A backend whose HPKE ephemeral keys come from the case's DRBG, recorded as they are drawn. */
function recording(label) {
  const b = deterministicBackend(`${label}\0state`);
  const drawn = [];
  return {
    drawn,
    backend: {
      ...b,
      x25519GenerateKeyPair: async () => {
        const k = await b.x25519GenerateKeyPair();
        drawn.push({ privateKey: k.privateKey.slice(), publicKey: k.publicKey.slice() }); // HPKE erases its own
        return k;
      },
    },
  };
}

/**
 * A request from alice to `who` and the responses accepted before the
 * export: `accept` names the responders (each answers once). Returns the
 * request, the responses (by responder), and the state fields craft-state
 * takes.
 */
export async function exchange(c, b, messageId, { who = ['bob'], aead, accept = [] } = {}) {
  const req = await request(c, b, messageId, { who, ...(aead ? { aead } : {}) });
  const replies = {};
  for (const w of who) {
    replies[w] = await answer(req, w, {
      label: `state\0${toHex(messageId)}\0${w}`,
      payload: new TextEncoder().encode(`${w} answers`),
    });
  }
  for (const w of accept) {
    await openResponse(req.sealed, replies[w].envelope, { now: CALLER_NOW, backend: pureBackend });
  }
  const fields = {
    suite: req.suite.ids,
    issuedAt: T,
    expiresAt: T + TTL,
    requestId: messageId,
    kid: fromBase64url(c.alice.encryption.kid),
    publicKey: c.alice.encryption.publicKey,
    privateKey: c.alice.encryption.privateKey,
    responders: who.map((w) => ({
      kid: fromBase64url(req.parties[w].kid),
      responseSecret: req.parties[w].rs,
    })),
    accepted: sortAccepted(
      accept.map((w) => ({
        kid: fromBase64url(req.parties[w].kid),
        responseId: replies[w].inputs.messageId,
      })),
    ),
  };
  return { req, replies, fields };
}

/** The honest export of `x`'s request state, checked against craft-state. */
async function honest(c, label, x) {
  const { backend, drawn } = recording(label);
  const bytes = await exportResponseState(x.req.sealed, {
    to: c.alice.encryption,
    now: EXPORT_NOW,
    backend,
  });
  const crafted = await craftState(pureBackend, { ...x.fields, ephemeral: drawn[0] });
  if (!equalBytes(crafted.bytes, bytes))
    throw new Error(`craftState does not reproduce the export (${label})`);
  return { bytes, body: crafted.body, ephemeral: drawn[0] };
}

/** A crafted state: the fields of `x`, changed by `change` (craft-state hooks). */
async function crafted(label, x, change) {
  const ephemeral = await deterministicBackend(`${label}\0state`).x25519GenerateKeyPair();
  return craftState(pureBackend, { ...x.fields, ephemeral, ...change(x.fields) });
}

const success = (x, responses) => ({
  expect: {
    result: 'success',
    requestId: toHex(x.fields.requestId),
    issuedAt: x.fields.issuedAt,
    expiresAt: x.fields.expiresAt,
    responders: x.fields.responders.map((r) => ({
      kid: toBase64url(r.kid),
      responseSecret: toHex(r.responseSecret),
    })),
    accepted: x.fields.accepted.map((a) => ({
      responder: toBase64url(a.kid),
      responseId: toHex(a.responseId),
    })),
  },
  responses,
});

/** The response of `w` as a `responses` entry with its expected outcome. */
const reply = (x, w, outcome) => ({
  envelope: x.replies[w].envelope,
  expect: outcome ?? x.replies[w].expect,
});

/** A case: `make({ c, x })` returns { state: { bytes, body, ephemeral? }, keys?, now?, expect, responses? }. */
const stateCase = (id, name, description, spec, options, make) => ({
  id,
  name,
  description,
  spec,
  options,
  make,
});

const withBody = (f) => (fields) => ({ body: (m) => f(m, fields) });
const withHeader = (f) => () => ({ header: (m) => f(m) });

export const RESPONSE_STATE_CASES = [
  stateCase(
    1,
    'one-recipient',
    "Alice's state for a request to bob, nothing accepted yet (AES-256-GCM). Imported, it opens bob's response once: the copy is ERR_REPLAY.",
    '§11a.3, §11a.1, §6.3',
    {},
    async ({ x, label, c }) => ({
      state: await honest(c, label, x),
      ...success(x, [reply(x, 'bob'), reply(x, 'bob', rejected('ERR_REPLAY'))]),
    }),
  ),
  stateCase(
    2,
    'accepted-carried',
    "A request to bob, carol and dave under ChaCha20-Poly1305; bob's response was accepted before the export. Imported, bob's response is ERR_REPLAY and carol's opens.",
    '§11a.4, §11a.1, §6.3 step 8',
    { who: ['bob', 'carol', 'dave'], aead: 'ChaCha20-Poly1305', accept: ['bob'] },
    async ({ x, label, c }) => ({
      state: await honest(c, label, x),
      ...success(x, [reply(x, 'bob', rejected('ERR_REPLAY')), reply(x, 'carol')]),
    }),
  ),
  stateCase(
    3,
    'accepted-order',
    'A request to bob, carol and dave under AES-128-GCM; all three responses accepted before the export, written in ascending order of their CBOR encodings, not in the order they were accepted (dave, bob, carol).',
    '§11a.1, §11a.2 step 3',
    { who: ['bob', 'carol', 'dave'], aead: 'AES-128-GCM', accept: ['dave', 'bob', 'carol'] },
    async ({ x, label, c }) => ({
      state: await honest(c, label, x),
      ...success(
        x,
        ['bob', 'carol', 'dave'].map((w) => reply(x, w, rejected('ERR_REPLAY'))),
      ),
    }),
  ),
  stateCase(
    4,
    'at-expiry-plus-skew',
    "Imported at the request's expires-at plus the skew, the last second it may be.",
    '§11a.3 step 4',
    {},
    async ({ x, label, c }) => ({
      state: await honest(c, label, x),
      now: (T + TTL + SKEW) * 1000 + 999,
      ...success(x, []),
    }),
  ),
  stateCase(
    10,
    'expired',
    "Imported one second after the request's expires-at plus the skew.",
    '§11a.3 step 4',
    {},
    async ({ x, label, c }) => ({
      state: await honest(c, label, x),
      now: (T + TTL + SKEW + 1) * 1000,
      expect: rejected('ERR_EXPIRED'),
    }),
  ),
  stateCase(
    11,
    'not-yet-valid',
    "Imported at a clock more than the skew before the request's issued-at.",
    '§11a.3 step 4',
    {},
    async ({ x, label, c }) => ({
      state: await honest(c, label, x),
      now: (T - SKEW - 1) * 1000,
      expect: rejected('ERR_NOT_YET_VALID'),
    }),
  ),
  stateCase(
    12,
    'key-not-held',
    "Imported with bob's key pair only: the state names alice's kid.",
    '§11a.3 step 5',
    {},
    async ({ x, label, c }) => ({
      state: await honest(c, label, x),
      keys: [c.bob.encryption],
      expect: rejected('ERR_KEY_NOT_FOUND'),
    }),
  ),
  stateCase(
    13,
    'wrong-private-key',
    "Imported with bob's private key under alice's kid: HPKE fails.",
    '§11a.3 step 6',
    {},
    async ({ x, label, c }) => ({
      state: await honest(c, label, x),
      keys: [{ ...c.bob.encryption, kid: c.alice.encryption.kid }],
      expect: rejected('ERR_OPEN_FAILED'),
    }),
  ),
  stateCase(
    14,
    'flipped-tag',
    'The last bit of the HPKE tag flipped.',
    '§11a.3 step 6',
    {},
    async ({ x, label, c }) => {
      const s = await honest(c, label, x);
      return {
        state: { ...s, bytes: flipBit(s.bytes, s.bytes.length - 1, 7) },
        expect: rejected('ERR_OPEN_FAILED'),
      };
    },
  ),
  stateCase(
    15,
    'header-expiry-extended',
    "The header's expires-at moved one hour later after sealing: the header is the associated data.",
    '§11a.3 step 6, §11a.2 step 4',
    {},
    async ({ x, label }) => ({
      state: await crafted(label, x, (f) => ({ written: (m) => m.set(5, f.expiresAt + 3600) })),
      expect: rejected('ERR_OPEN_FAILED'),
    }),
  ),
  stateCase(
    16,
    'message-kind',
    'The prefix names kind 0x01 (a message).',
    '§11a.3 step 1',
    {},
    async ({ x, label }) => ({
      state: await crafted(label, x, () => ({ kind: 0x01 })),
      expect: rejected('ERR_ENVELOPE_MALFORMED'),
    }),
  ),
  stateCase(
    17,
    'unknown-header-key',
    'The header has a key 15 as well.',
    '§11a.3 step 2',
    {},
    async ({ x, label }) => ({
      state: await crafted(
        label,
        x,
        withHeader((m) => m.set(15, 0)),
      ),
      expect: rejected('ERR_ENVELOPE_MALFORMED'),
    }),
  ),
  stateCase(
    18,
    'no-kid',
    'The header lacks key 13 (the kid).',
    '§11a.3 step 2',
    {},
    async ({ x, label }) => ({
      state: await crafted(
        label,
        x,
        withHeader((m) => (m.delete(13), m)),
      ),
      expect: rejected('ERR_ENVELOPE_MALFORMED'),
    }),
  ),
  stateCase(
    19,
    'unknown-suite',
    "The header's suite names AEAD 0x0007 (sealed under AES-256-GCM).",
    '§11a.3 step 3',
    {},
    async ({ x, label }) => ({
      state: await crafted(
        label,
        x,
        withHeader((m) => m.set(1, [0x20, 1, 7])),
      ),
      expect: rejected('ERR_UNSUPPORTED_SUITE'),
    }),
  ),
  stateCase(
    20,
    'other-info',
    'Sealed with the HPKE info "blindwire/v1 message" instead of "blindwire/v1 response state".',
    '§11a.2 step 2, §11a.3 step 6',
    {},
    async ({ x, label }) => ({
      state: await crafted(label, x, () => ({ info: 'blindwire/v1 message' })),
      expect: rejected('ERR_OPEN_FAILED'),
    }),
  ),
  stateCase(
    21,
    'aad-without-prefix',
    'Sealed with the header bytes alone as associated data, without the prefix.',
    '§11a.2 step 4, §11a.3 step 6',
    {},
    async ({ x, label }) => ({
      state: await crafted(label, x, () => ({ aad: (_p, h) => h })),
      expect: rejected('ERR_OPEN_FAILED'),
    }),
  ),
  stateCase(
    22,
    'accepted-not-a-responder',
    "An accepted pair names carol's kid, who is not a recipient of the request.",
    '§11a.3 step 7',
    {},
    async ({ x, label, c }) => ({
      state: await crafted(
        label,
        x,
        withBody((m) => m.set(2, [[fromBase64url(c.carol.encryption.kid), new Uint8Array(16)]])),
      ),
      expect: rejected('ERR_OPEN_FAILED'),
    }),
  ),
  stateCase(
    23,
    'accepted-out-of-order',
    'Two accepted pairs in descending order of their encodings.',
    '§11a.3 step 7, §11a.1',
    { who: ['bob', 'carol'], accept: ['bob', 'carol'] },
    async ({ x, label }) => ({
      state: await crafted(label, x, (f) => ({ accepted: [...f.accepted].reverse() })),
      expect: rejected('ERR_OPEN_FAILED'),
    }),
  ),
  stateCase(
    24,
    'short-response-secret',
    "The responder's response secret is 31 bytes.",
    '§11a.3 step 7',
    {},
    async ({ x, label }) => ({
      state: await crafted(label, x, (f) => ({
        responders: f.responders.map((r) => ({ ...r, responseSecret: r.responseSecret.slice(1) })),
      })),
      expect: rejected('ERR_OPEN_FAILED'),
    }),
  ),
  stateCase(
    25,
    'body-extra-key',
    'The body map has a key 3 as well.',
    '§11a.3 step 7',
    {},
    async ({ x, label }) => ({
      state: await crafted(
        label,
        x,
        withBody((m) => m.set(3, 0)),
      ),
      expect: rejected('ERR_OPEN_FAILED'),
    }),
  ),
  stateCase(
    26,
    'no-responders',
    'The body lists no responder.',
    '§11a.3 step 7',
    {},
    async ({ x, label }) => ({
      state: await crafted(
        label,
        x,
        withBody((m) => m.set(1, [])),
      ),
      expect: rejected('ERR_OPEN_FAILED'),
    }),
  ),
  stateCase(
    27,
    'base-mode-forgery',
    "A state sealed to alice's public key in HPKE Base mode, as anyone who knows that public key could write it, choosing the response secrets: not authenticated by alice's own key, it fails HPKE.",
    '§11a.3 step 6, §11a.1',
    {},
    async ({ x, label }) => ({
      state: await crafted(label, x, () => ({ senderKey: null })),
      expect: rejected('ERR_OPEN_FAILED'),
    }),
  ),
  stateCase(
    28,
    'other-sender-key',
    "A state in HPKE Auth mode to alice's key, authenticated by mallory's key pair instead of alice's own: it fails HPKE.",
    '§11a.3 step 6, §11a.1',
    {},
    async ({ x, label, c }) => ({
      state: await crafted(label, x, () => ({ senderKey: c.mallory.encryption })),
      expect: rejected('ERR_OPEN_FAILED'),
    }),
  ),
];
