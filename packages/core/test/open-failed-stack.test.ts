/**
 * ERR_OPEN_FAILED says nothing about which check failed: the same code,
 * message and no cause, and (since a stack that reaches a log a peer can read
 * is an oracle too) the same `stack`, byte for byte, whichever check failed
 * and on every backend: each public function builds it at one throw site
 * (SPEC.md §7, §6.3, §7a.6).
 */
import { describe, expect, it } from 'vitest';
import { aeadSealInto } from '../src/backend/checks.js';
import { concat, utf8 } from '../src/bytes.js';
import { checkSealOptions } from '../src/envelope/check-seal.js';
import { open } from '../src/envelope/open.js';
import type { OpenOptions, OpenResult } from '../src/envelope/open-options.js';
import { openResponse, sealResponse } from '../src/envelope/response.js';
import { seal } from '../src/envelope/seal.js';
import type { SealResult } from '../src/envelope/seal-options.js';
import { openStateOf } from '../src/envelope/state.js';
import { OPEN_FAILED_MESSAGE } from '../src/errors.js';
import { DEFAULT_LIMITS } from '../src/limits.js';
import { createChannel } from '../src/stream/channel.js';
import { DEFAULT_STREAM_LIMITS } from '../src/stream/limits.js';
import { StreamSealer } from '../src/stream/sealer.js';
import type { OpenStreamOptions } from '../src/stream/open-stream-options.js';
import { readHead } from '../src/wire/cbor.js';
import {
  decodeMessageHeader,
  decodeStreamHeader,
  encodeResponseHeader,
} from '../src/wire/header.js';
import { allocateFrame, parseFrame } from '../src/wire/frame.js';
import { Kind, prefixFor } from '../src/wire/kinds.js';
import { ZERO_NONCE, deriveResponseKey } from '../src/wire/keys.js';
import { encodeMeta } from '../src/wire/stream-keys.js';
import type { CryptoBackend } from '../src/backend/types.js';
import { backends } from './helpers/backends.js';
import { craft } from './helpers/craft.js';
import { NOW, cast, trusted } from './helpers/fixtures.js';
import { body, openAll, sealAll } from './helpers/streams.js';

const T = Math.floor(NOW / 1000);

/** A fresh macrotask: every call below starts from the same caller state. */
const settle = () => new Promise<void>((r) => setImmediate(r));

/** The error `p` rejects with (it must reject). */
async function failure(p: Promise<unknown>): Promise<Error & { code?: string }> {
  return p.then(
    () => {
      throw new Error('expected a failure, got a result');
    },
    (e: Error & { code?: string }) => e,
  );
}

function flipAt(b: Uint8Array, i: number): Uint8Array {
  const out = b.slice();
  out[i]! ^= 1;
  return out;
}

function indexOf(hay: Uint8Array, needle: Uint8Array): number {
  return Buffer.from(hay).indexOf(Buffer.from(needle));
}

/** Every way a message fails after its header parsed, on backend `b`. */
async function messageFailures(b: CryptoBackend) {
  const { alice, bob, carol, mallory } = await cast(b);
  const opts: OpenOptions = {
    recipient: bob,
    trustedSenders: trusted(alice),
    now: NOW,
    backend: b,
  };
  const s = await seal('the payload', { sender: alice, recipients: bob, now: NOW, backend: b });
  const header = decodeMessageHeader(
    parseFrame(s.envelope, Kind.Message, DEFAULT_LIMITS).header,
    DEFAULT_LIMITS,
  );
  const base = {
    backend: b,
    recipients: [bob.encryption],
    sender: alice.name,
    senderKid: alice.signing.kid,
    sign: (tbs: Uint8Array) => b.ed25519Sign(alice.signing.privateKey, tbs),
    body: utf8('x'),
    issuedAt: T,
    expiresAt: T + 60,
  };
  const wrongKey = { ...bob.encryption, privateKey: carol.encryption.privateKey };
  const cases: Record<string, [Uint8Array, OpenOptions]> = {
    commitment: [flipAt(s.envelope, indexOf(s.envelope, header.commitment) + 3), opts],
    tag: [flipAt(s.envelope, s.envelope.length - 1), opts],
    'inner record': [await craft({ ...base, rawInner: (w) => concat(w, Uint8Array.of(7)) }), opts],
    signature: [
      await craft({ ...base, sign: (tbs) => b.ed25519Sign(mallory.signing.privateKey, tbs) }),
      opts,
    ],
    'wrong private key': [s.envelope, { ...opts, recipient: wrongKey }],
  };
  return cases;
}

describe('open: one stack for every ERR_OPEN_FAILED', () => {
  it('commitment, tag, inner record, signature and wrong key give byte-identical errors on every backend', async () => {
    const stacks = new Map<string, string>();
    for (const b of backends) {
      for (const [name, [envelope, options]] of Object.entries(await messageFailures(b))) {
        await settle();
        const e = await failure(open(envelope, options)); // one call site for every case
        expect(e.code, `${b.name} ${name}`).toBe('ERR_OPEN_FAILED');
        expect(e.message).toBe(OPEN_FAILED_MESSAGE);
        expect(e.cause).toBeUndefined();
        stacks.set(`${b.name} ${name}`, e.stack!);
      }
    }
    expect(stacks.size).toBe(5 * backends.length);
    const distinct = new Set(stacks.values());
    expect(distinct.size, [...distinct].join('\n====\n')).toBe(1);
  });
});

/** A response to `opened` whose inner record is `inner` (valid AEAD under the response key). */
async function responseWithInner(b: CryptoBackend, opened: OpenResult, inner: Uint8Array) {
  const state = openStateOf(opened)!;
  const messageId = b.randomBytes(16);
  const header = encodeResponseHeader({
    suite: state.suite.ids,
    messageId,
    issuedAt: T,
    expiresAt: T + 60,
    requestId: state.requestId,
    responder: state.responder,
  });
  const key = await deriveResponseKey(b, state.responseSecret, messageId, state.suite.keyLength);
  const { out, offset } = allocateFrame(Kind.Response, header, inner.length + 16);
  const aad = concat(prefixFor(Kind.Response), header);
  await aeadSealInto(b, state.suite.algorithm, key, ZERO_NONCE, [inner], aad, out, offset);
  return out;
}

describe('openResponse: one stack for every ERR_OPEN_FAILED', () => {
  it('a bad tag and a bad inner record give byte-identical errors on every backend', async () => {
    const stacks = new Set<string>();
    for (const b of backends) {
      const { alice, bob } = await cast(b);
      const request: SealResult = await seal('q', {
        sender: alice,
        recipients: bob,
        now: NOW,
        backend: b,
      });
      const opened = await open(request.envelope, {
        recipient: bob,
        trustedSenders: trusted(alice),
        now: NOW,
        backend: b,
      });
      const good = await sealResponse(opened, 'answer', { now: NOW, backend: b });
      const tag = flipAt(good.envelope, good.envelope.length - 1);
      const inner = await responseWithInner(b, opened, Uint8Array.of(0xa1, 4, 9)); // { 4: 9 }: no body
      for (const env of [tag, inner]) {
        await settle();
        const e = await failure(openResponse(request, env, { now: NOW, backend: b }));
        expect(e.code).toBe('ERR_OPEN_FAILED');
        stacks.add(e.stack!);
      }
    }
    expect(stacks.size, [...stacks].join('\n\n')).toBe(1);
  });
});

/** A stream from the sealer's pieces, with `sender` as signer and the name and kid of alice. */
async function streamSignedBy(
  b: CryptoBackend,
  c: Awaited<ReturnType<typeof cast>>,
  privateKey: Uint8Array,
) {
  const limits = { ...DEFAULT_LIMITS, ...DEFAULT_STREAM_LIMITS };
  const checked = checkSealOptions({ sender: c.alice, recipients: c.bob, now: NOW }, limits, b);
  checked.sender = { ...checked.sender, privateKey };
  const meta = encodeMeta(checked.sender.text, checked.sender.kid);
  const s = createChannel(new StreamSealer({ b, limits, checked, meta, chunkSize: 4096 }));
  const parts: Uint8Array[] = [];
  const reading = (async () => {
    for await (const p of s.readable as unknown as AsyncIterable<Uint8Array>) parts.push(p);
  })();
  const w = s.writable.getWriter();
  await w.write(body(10_000));
  await w.close();
  await reading;
  return concat(...parts);
}

describe('openStream: one stack for every ERR_OPEN_FAILED', () => {
  it('commitment, chunk tag, header signature, truncation and wrong key give byte-identical errors', async () => {
    const stacks = new Map<string, string>();
    for (const b of backends) {
      const c = await cast(b);
      const opts: OpenStreamOptions = {
        recipient: c.bob,
        trustedSenders: trusted(c.alice),
        now: NOW,
        backend: b,
      };
      const { sealed } = await sealAll(
        { sender: c.alice, recipients: c.bob, now: NOW, backend: b, chunkSize: 4096 },
        [body(10_000)],
      );
      const [, headerLength, headLength] = readHead(sealed, 4);
      const header = decodeStreamHeader(
        sealed.subarray(4 + headLength, 4 + headLength + headerLength),
        DEFAULT_LIMITS,
      );
      const inRecords = 4 + headLength + headerLength + 2000;
      const wrongKey = { ...c.bob.encryption, privateKey: c.carol.encryption.privateKey };
      const cases: Record<string, [Uint8Array, OpenStreamOptions]> = {
        commitment: [flipAt(sealed, indexOf(sealed, header.commitment) + 5), opts],
        'chunk tag': [flipAt(sealed, inRecords), opts],
        'header signature': [await streamSignedBy(b, c, c.mallory.signing.privateKey), opts],
        truncation: [sealed.subarray(0, sealed.length - 100), opts],
        'wrong private key': [sealed, { ...opts, recipient: wrongKey }],
      };
      for (const [name, [input, options]] of Object.entries(cases)) {
        await settle();
        const { error } = await openAll(options, [input]); // one call site for every case
        expect(error, `${b.name} ${name}`).toMatchObject({ code: 'ERR_OPEN_FAILED' });
        stacks.set(`${b.name} ${name}`, (error as Error).stack!);
      }
    }
    const distinct = new Set(stacks.values());
    expect(distinct.size, [...distinct].join('\n====\n')).toBe(1);
  });
});
