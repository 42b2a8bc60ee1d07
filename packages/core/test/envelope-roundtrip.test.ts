import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { errorCode } from '@blindwire/testkit';
import { fromHex } from '../src/bytes.js';
import { inspect } from '../src/envelope/inspect.js';
import { open } from '../src/envelope/open.js';
import { openResponse, sealResponse, sealResponseWithId } from '../src/envelope/response.js';
import { seal } from '../src/envelope/seal.js';
import { AEAD_NAMES } from '../src/wire/suites.js';
import { createMemoryReplayStore } from '../src/envelope/memory-replay-store.js';
import { padme } from '../src/wire/inner.js';
import {
  exportIdentity,
  exportPublicIdentity,
  importIdentity,
  importPublicIdentity,
  publicIdentity,
} from '../src/identity/identity.js';
import { backends } from './helpers/backends.js';
import { NOW, cast, trusted } from './helpers/fixtures.js';

const text = (b: Uint8Array) => new TextDecoder().decode(b);

describe.each(backends.map((b) => [b.name, b] as const))(
  'envelope round trip (%s backend)',
  (_, backend) => {
    it('seals for one recipient; the recipient opens it and learns the verified sender', async () => {
      const { alice, bob } = await cast(backend);
      const sealed = await seal('refund order 1234', {
        sender: alice,
        recipients: publicIdentity(bob),
        context: 'tool:refund',
        contentType: 'text/plain',
        now: NOW,
        backend,
      });
      expect(sealed.messageId).toMatch(/^[0-9a-f]{32}$/);
      expect(sealed.expiresAt - sealed.issuedAt).toBe(3600);
      const opened = await open(sealed.envelope, {
        recipient: bob,
        context: 'tool:refund',
        trustedSenders: trusted(alice),
        now: NOW,
        backend,
      });
      expect(text(opened.payload)).toBe('refund order 1234');
      expect(opened.sender).toBe(alice.name);
      expect(opened.senderKid).toBe(alice.signing.kid);
      expect(opened.messageId).toBe(sealed.messageId);
      expect(opened.contentType).toBe('text/plain');
      expect(opened.header.recipients).toEqual([{ kid: bob.encryption.kid }]);
    });

    it.each(AEAD_NAMES)(
      'works with %s and with several recipients, each opening the same bytes',
      async (aead) => {
        const { alice, bob, carol } = await cast(backend);
        const payload = backend.randomBytes(1000);
        const sealed = await seal(payload, {
          sender: alice,
          recipients: [bob, carol].map(publicIdentity),
          aead,
          now: NOW,
          backend,
        });
        expect(inspect(sealed.envelope).suite.name).toBe(aead);
        for (const r of [bob, carol]) {
          const o = await open(sealed.envelope, {
            recipient: r,
            trustedSenders: trusted(alice),
            now: NOW,
            backend,
          });
          expect(o.payload).toEqual(payload);
        }
      },
    );

    it('returns the payload as a view whose buffer holds nothing but the body', async () => {
      const { alice, bob } = await cast(backend);
      const s = await seal('only-this', {
        sender: alice,
        recipients: bob,
        padding: 'padme',
        now: NOW,
        backend,
      });
      const o = await open(s.envelope, {
        recipient: bob,
        trustedSenders: trusted(alice),
        now: NOW,
        backend,
      });
      const whole = new Uint8Array(o.payload.buffer);
      const body = new TextEncoder().encode('only-this');
      expect(text(o.payload)).toBe('only-this');
      const outside = whole.filter(
        (_, i) => i < o.payload.byteOffset || i >= o.payload.byteOffset + body.length,
      );
      expect(outside.every((x) => x === 0)).toBe(true);
      expect(Buffer.from(whole).includes(Buffer.from(alice.name))).toBe(false);
    });

    it('accepts a resolver and a list of recipient keys (rotation), using the listed one', async () => {
      const { alice, bob, carol } = await cast(backend);
      const sealed = await seal(new Uint8Array(0), {
        sender: alice,
        recipients: carol,
        now: NOW,
        backend,
      });
      const seen: string[] = [];
      const o = await open(sealed.envelope, {
        recipient: [bob.encryption, carol.encryption],
        resolveSender: async (name, kid) => {
          seen.push(`${name}#${kid}`);
          return name === alice.name && kid === alice.signing.kid
            ? alice.signing.publicKey
            : undefined;
        },
        now: NOW,
        backend,
      });
      expect(o.payload.length).toBe(0);
      expect(seen).toEqual([`${alice.name}#${alice.signing.kid}`]);
    });

    it('pads to PADMÉ sizes or block sizes and strips the padding', async () => {
      const { alice, bob } = await cast(backend);
      const sizes: number[] = [];
      for (const padding of ['none', 'padme', { blockSize: 256 }] as const) {
        const s = await seal('x'.repeat(1000), {
          sender: alice,
          recipients: bob,
          padding,
          now: NOW,
          backend,
        });
        sizes.push(inspect(s.envelope).ciphertextBytes);
        const o = await open(s.envelope, {
          recipient: bob,
          trustedSenders: trusted(alice),
          now: NOW,
          backend,
        });
        expect(text(o.payload)).toBe('x'.repeat(1000));
      }
      expect(sizes[1]).toBeGreaterThan(sizes[0]!);
      expect((sizes[2]! - 16) % 256).toBe(0);
    });

    it('carries signed public claims that inspect shows and tampering breaks', async () => {
      const { alice, bob } = await cast(backend);
      const s = await seal('{}', {
        sender: alice,
        recipients: bob,
        claims: { tenant: 'acme', priority: 3 },
        now: NOW,
        backend,
      });
      expect(inspect(s.envelope).claims).toEqual({ tenant: 'acme', priority: 3 });
      const o = await open(s.envelope, {
        recipient: bob,
        trustedSenders: trusted(alice),
        now: NOW,
        backend,
      });
      expect(o.header.claims).toEqual({ tenant: 'acme', priority: 3 });
    });

    it('answers with a sealed response that only the caller can open', async () => {
      const { alice, bob, carol } = await cast(backend);
      const req = await seal('{"q":"balance"}', {
        sender: alice,
        recipients: [bob, carol],
        context: 'tool:balance',
        now: NOW,
        backend,
      });
      const opened = await open(req.envelope, {
        recipient: carol,
        context: 'tool:balance',
        trustedSenders: trusted(alice),
        now: NOW,
        backend,
      });
      const sealedResponse = await sealResponse(opened, '{"balance":42}', {
        contentType: 'application/json',
        now: NOW,
        backend,
      });
      const response = sealedResponse.envelope;
      // SealResponseResult has SealResult's shape: the envelope, its id and times.
      expect(sealedResponse.messageId).toBe(inspect(response).messageId);
      expect(sealedResponse.requestId).toBe(req.messageId);
      expect(sealedResponse.issuedAt).toBe(inspect(response).issuedAt);
      expect(sealedResponse.expiresAt).toBe(inspect(response).expiresAt);
      expect(inspect(response).kind).toBe('response');
      expect(inspect(response).requestId).toBe(req.messageId);
      expect(Buffer.from(response).includes(Buffer.from('balance'))).toBe(false);
      const answer = await openResponse(req, response, { now: NOW, backend });
      expect(text(answer.payload)).toBe('{"balance":42}');
      expect(answer.responder).toBe(carol.encryption.kid);
      expect(answer.contentType).toBe('application/json');

      // An accepted response opens once: a replayed or redelivered copy is ERR_REPLAY
      // (an old "pending" cannot come back after "done"); a second, distinct response opens.
      expect(await errorCode(() => openResponse(req, response, { now: NOW, backend }))).toBe(
        'ERR_REPLAY',
      );
      const { envelope: pending } = await sealResponse(opened, 'pending', { now: NOW, backend });
      const { envelope: done } = await sealResponse(opened, 'done', { now: NOW, backend });
      expect(text((await openResponse(req, pending, { now: NOW, backend })).payload)).toBe(
        'pending',
      );
      expect(text((await openResponse(req, done, { now: NOW, backend })).payload)).toBe('done');
      expect(await errorCode(() => openResponse(req, pending, { now: NOW, backend }))).toBe(
        'ERR_REPLAY',
      );
      // A tampered copy of an unseen response is not remembered: the genuine one still opens.
      const { envelope: late } = await sealResponse(opened, 'late', { now: NOW, backend });
      const forged = late.slice();
      forged[forged.length - 1]! ^= 1;
      expect(await errorCode(() => openResponse(req, forged, { now: NOW, backend }))).toBe(
        'ERR_OPEN_FAILED',
      );
      expect(text((await openResponse(req, late, { now: NOW, backend })).payload)).toBe('late');

      // Another recipient reusing that response's public id cannot block it:
      // what opens once is the pair (responder, response id).
      const fromBob = await open(req.envelope, {
        recipient: bob,
        context: 'tool:balance',
        trustedSenders: trusted(alice),
        now: NOW,
        backend,
      });
      const { envelope: genuine } = await sealResponse(opened, 'from carol', { now: NOW, backend });
      const { envelope: squat } = await sealResponseWithId(fromBob, 'from bob', {
        messageId: fromHex(inspect(genuine).messageId),
        now: NOW,
        backend,
      });
      expect((await openResponse(req, squat, { now: NOW, backend })).responder).toBe(
        bob.encryption.kid,
      );
      expect(text((await openResponse(req, genuine, { now: NOW, backend })).payload)).toBe(
        'from carol',
      );

      // One response id never answers the same request twice (it selects the key; the nonce is fixed).
      const id = new Uint8Array(16).fill(7);
      await sealResponseWithId(opened, 'first', { messageId: id, now: NOW, backend });
      expect(
        await errorCode(() =>
          sealResponseWithId(opened, 'second', { messageId: id, now: NOW, backend }),
        ),
      ).toBe('ERR_INVALID_ARGUMENT');
      // The public sealResponse takes no id: a request opened twice (redelivered)
      // still gets a fresh response key for every answer.
      const again = await open(req.envelope, {
        recipient: carol,
        context: 'tool:balance',
        trustedSenders: trusted(alice),
        now: NOW,
        backend,
      });
      const ids = new Set<string>();
      for (const o of [opened, again, opened, again]) {
        const { envelope: r } = await sealResponse(o, 'same', {
          messageId: id,
          now: NOW,
          backend,
        } as Parameters<typeof sealResponse>[2]);
        ids.add(inspect(r).messageId);
      }
      expect(ids.size).toBe(4);
      expect(ids.has(Buffer.from(id).toString('hex'))).toBe(false);
      // Another request's state cannot open it; a flipped byte cannot be opened.
      const other = await seal('x', { sender: alice, recipients: carol, now: NOW, backend });
      expect(await errorCode(() => openResponse(other, response, { now: NOW, backend }))).toBe(
        'ERR_KEY_NOT_FOUND',
      );
      const bad = response.slice();
      bad[bad.length - 1]! ^= 1;
      expect(await errorCode(() => openResponse(req, bad, { now: NOW, backend }))).toBe(
        'ERR_OPEN_FAILED',
      );
      // A message envelope is not a response and vice versa.
      expect(await errorCode(() => openResponse(req, req.envelope, { now: NOW, backend }))).toBe(
        'ERR_ENVELOPE_MALFORMED',
      );
      expect(
        await errorCode(() =>
          open(response, { recipient: carol, trustedSenders: trusted(alice), now: NOW, backend }),
        ),
      ).toBe('ERR_ENVELOPE_MALFORMED');
    });
  },
);

describe('identities', () => {
  it('exports and imports public identities and checks the kids', async () => {
    const { alice } = await cast();
    const json = JSON.parse(JSON.stringify(exportPublicIdentity(alice)));
    const back = await importPublicIdentity(json);
    expect(back).toEqual(publicIdentity(alice));
    json.encryption.kid = alice.signing.kid;
    expect(await errorCode(() => importPublicIdentity(json))).toBe('ERR_KEY_UNTRUSTED');
  });

  it('exports and imports full identities, rejecting mismatched private keys', async () => {
    const { alice, bob } = await cast();
    const json = JSON.parse(JSON.stringify(exportIdentity(alice)));
    expect(await importIdentity(json)).toEqual(alice);
    json.signing.seed = exportIdentity(bob).signing.seed;
    expect(await errorCode(() => importIdentity(json))).toBe('ERR_INVALID_ARGUMENT');
  });

  it('requires URI names', async () => {
    const { generateIdentity } = await import('../src/identity/identity.js');
    expect(await errorCode(() => generateIdentity('not a uri'))).toBe('ERR_INVALID_ARGUMENT');
  });
});

/** The guard view of a memory store: `has` and `record` only, so `open` asks it (no reservation). */
function guardOf(store: ReturnType<typeof createMemoryReplayStore>) {
  return {
    has: (id: string, sender: string) => store.has(id, sender),
    record: (id: string, expiresAt: number, sender?: string) => store.record(id, expiresAt, sender),
  };
}

describe('replay guard', () => {
  it('refuses an id once recorded, and lets redelivery through before that', async () => {
    const { alice, bob } = await cast();
    const replay = guardOf(createMemoryReplayStore({ now: () => NOW }));
    const s = await seal('pay', { sender: alice, recipients: bob, now: NOW });
    const opts = { recipient: bob, trustedSenders: trusted(alice), now: NOW, replay };
    const first = await open(s.envelope, opts);
    await open(s.envelope, opts); // redelivered before it was acknowledged: still opens
    await replay.record(first.messageId, first.header.expiresAt);
    expect(await errorCode(() => open(s.envelope, opts))).toBe('ERR_REPLAY');
  });

  it('keyed per sender, an id copied by another allowed sender does not block the original', async () => {
    const { alice, bob, mallory } = await cast();
    const original = await seal('pay 10', { sender: alice, recipients: bob, now: NOW });
    // Mallory, also a trusted sender, reads the id off the header and reuses it.
    const copied = await seal('pay 0', {
      sender: mallory,
      recipients: bob,
      now: NOW,
      messageId: fromHex(original.messageId),
    });
    const opts = { recipient: bob, trustedSenders: trusted(alice, mallory), now: NOW };

    // By id alone (the default), Mallory's processed copy makes Alice's a "replay".
    const byId = createMemoryReplayStore({ now: () => NOW });
    const m1 = await open(copied.envelope, { ...opts, replay: byId });
    await byId.record(m1.messageId, m1.header.expiresAt);
    expect(await errorCode(() => open(original.envelope, { ...opts, replay: byId }))).toBe(
      'ERR_REPLAY',
    );

    // Per sender it does not; Alice's own id, once recorded, does.
    const perSender = createMemoryReplayStore({ now: () => NOW, perSender: true });
    const m2 = await open(copied.envelope, { ...opts, replay: perSender });
    await perSender.record(m2.messageId, m2.header.expiresAt, m2.sender);
    const a = await open(original.envelope, { ...opts, replay: perSender });
    expect(new TextDecoder().decode(a.payload)).toBe('pay 10');
    await perSender.record(a.messageId, a.header.expiresAt, a.sender);
    expect(await errorCode(() => open(original.envelope, { ...opts, replay: perSender }))).toBe(
      'ERR_REPLAY',
    );
    expect(await errorCode(() => open(copied.envelope, { ...opts, replay: perSender }))).toBe(
      'ERR_REPLAY',
    );
    // A per-sender store refuses a record without the sender rather than keying it wrongly.
    expect(await errorCode(async () => perSender.record(a.messageId, a.header.expiresAt))).toBe(
      'ERR_INVALID_ARGUMENT',
    );
  });

  it('asks the guard with the verified sender, after the signature and policy checks', async () => {
    const { alice, bob } = await cast();
    const s = await seal('x', { sender: alice, recipients: bob, now: NOW });
    const asked: [string, string][] = [];
    const replay = {
      has: (id: string, sender: string) => (asked.push([id, sender]), false),
      record: () => undefined,
    };
    const opts = { recipient: bob, trustedSenders: trusted(alice), now: NOW, replay };
    await open(s.envelope, opts);
    expect(asked).toEqual([[s.messageId, alice.name]]);
    // A message that fails policy never reaches the guard.
    await errorCode(() => open(s.envelope, { ...opts, allowedSenders: ['spiffe://other/*'] }));
    expect(asked).toHaveLength(1);
  });
});

describe('padme (SPEC.md §4.2)', () => {
  it('gives the lengths the SPEC lists, including where "S significant bits" would differ', () => {
    const table: [number, number][] = [
      [0, 0],
      [1, 1],
      [2, 2],
      [3, 3],
      [7, 7],
      [8, 8],
      [9, 10],
      [15, 16],
      [129, 144],
      [961, 992],
      [1000, 1024],
      [1025, 1088],
    ];
    for (const [l, p] of table) expect(padme(l), `L = ${l}`).toBe(p);
  });

  it('rounds L up to a multiple of 2^(E - S), E = floor(log2 L), S = floor(log2 E) + 1; overhead at most 15/129', () => {
    const check = (l: number) => {
      const e = l.toString(2).length - 1;
      const unit = 2 ** (e - e.toString(2).length);
      const p = padme(l);
      expect(p % unit, `L = ${l}`).toBe(0);
      expect(p >= l && p < l + unit, `L = ${l}`).toBe(true);
      expect((p - l) / l).toBeLessThanOrEqual(15 / 129);
      if (l >= 256) expect((p - l) / l).toBeLessThan(1 / 16);
    };
    for (let l = 2; l < 5000; l++) check(l);
    fc.assert(fc.property(fc.integer({ min: 2, max: 2 ** 31 }), (l) => check(l)));
    for (let k = 2; k <= 52; k++) for (const l of [2 ** k - 1, 2 ** k, 2 ** k + 1]) check(l);
  });
});
