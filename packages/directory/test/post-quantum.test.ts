/**
 * Hybrid (X-Wing) keys in the directory (SPEC.md §11.1, §11.3): records carry
 * 1216-byte keys with kem 0x647a and the usual kid; an identity publishes
 * classical and hybrid keys side by side; senders get the strongest suite
 * every recipient accepts; `requirePostQuantum` (the policy, per context, or
 * the call) fails clearly for a recipient without a hybrid key; revocation
 * applies to hybrid keys as to classical ones.
 */
import { generateEncryptionKey, inspect, open, seal, type Identity } from '@blindwire/core';
import { createClock, outcomeOf } from '@blindwire/testkit';
import { describe, expect, it } from 'vitest';
import {
  MAX_RECORD_BYTES,
  createDirectory,
  createEncryptionKeyRecord,
  createKeyRotator,
  createMemoryKeyStore,
  createMemoryStore,
  createRevocation,
  type TrustPolicy,
} from '../src/index.js';
import { RecordKind } from '../src/records/kinds.js';
import { parseRecord } from '../src/records/parse.js';
import { signRecord } from '../src/records/sign.js';
import { S0, T0, makeWorld, type World } from './helpers/world.js';

async function hybridRecord(w: World, id: Identity, serial: number) {
  const key = await generateEncryptionKey({ kem: 'X-Wing' });
  const record = await createEncryptionKeyRecord(id, key, {
    now: T0,
    notBefore: S0,
    notAfter: S0 + 86_400,
    serial,
  });
  return { key, record };
}

async function setup(policy?: Partial<TrustPolicy>) {
  const w = await makeWorld();
  const store = createMemoryStore();
  for (const id of [w.tool, w.agent])
    for (const r of await w.recordsOf(id)) await store.put(id.name, r);
  const toolHybrid = await hybridRecord(w, w.tool, 2);
  await store.put(w.tool.name, toolHybrid.record);
  const dir = createDirectory({ store, trust: { ...w.policy, ...policy }, now: () => T0 });
  return { w, store, dir, toolHybrid };
}

describe('hybrid key records', () => {
  it('carry a 1216-byte key, kem 0x647a and the kid of SPEC.md §5.2; fit the record limit', async () => {
    const w = await makeWorld();
    const { key, record } = await hybridRecord(w, w.tool, 2);
    expect(record.length).toBeLessThan(MAX_RECORD_BYTES);
    const parsed = await parseRecord(record);
    expect(parsed.body).toMatchObject({
      publicKey: key.publicKey,
      kid: key.kid,
      suite: { kem: 0x647a, kdf: 1, aead: 2 },
    });
  });

  it('a hybrid suite with a 32-byte key, or a classical suite with a 1216-byte key, is malformed', async () => {
    const w = await makeWorld();
    const hybrid = await generateEncryptionKey({ kem: 'X-Wing' });
    const body = (publicKey: Uint8Array, kem: number) => ({
      kind: RecordKind.EncryptionKey,
      issuerKid: w.tool.signing.kid,
      name: w.tool.name,
      publicKey,
      kid: hybrid.kid,
      suite: { kem, kdf: 1, aead: 2 },
      notBefore: S0,
      notAfter: S0 + 86_400,
      serial: 2,
    });
    const signer = { kid: w.tool.signing.kid, privateKey: w.tool.signing.privateKey };
    for (const [key, kem] of [
      [hybrid.publicKey, 0x20],
      [w.tool.encryption.publicKey, 0x647a],
    ] as const) {
      const record = await signRecord(body(key, kem), signer);
      expect(await outcomeOf(parseRecord(record))).toBe('ERR_RECORD_MALFORMED');
    }
    expect(
      (await parseRecord(await signRecord(body(hybrid.publicKey, 0x647a), signer))).body,
    ).toMatchObject({ kid: hybrid.kid });
  });
});

describe('choosing keys', () => {
  it('an identity with both keys gets the hybrid one; the envelope is X-Wing and opens', async () => {
    const { w, dir, toolHybrid } = await setup();
    const keys = await dir.resolve(w.tool.name);
    expect(keys.map((k) => k.kem).sort()).toEqual(['X-Wing', 'X25519']);
    const key = await dir.resolveRecipient(w.tool.name);
    expect(key.kem).toBe('X-Wing');
    expect(key.kid).toBe(toolHybrid.key.kid);
    const s = await seal('hi', { sender: w.agent, recipients: key, now: T0 });
    expect(inspect(s.envelope).suite.kemName).toBe('X-Wing');
    const o = await open(s.envelope, {
      recipient: [w.tool, toolHybrid.key],
      resolveSender: (n, k) => dir.resolveSigningKey(n, k),
      now: T0,
    });
    expect(new TextDecoder().decode(o.payload)).toBe('hi');
  });

  it('with one classical-only recipient, every recipient gets its classical key', async () => {
    const { w, dir } = await setup();
    const keys = await dir.resolveRecipients([w.tool.name, w.agent.name]);
    expect(keys.map((k) => k.kem)).toEqual(['X25519', 'X25519']);
    const s = await seal('hi', { sender: w.agent, recipients: keys, now: T0 });
    expect(inspect(s.envelope).suite.kemName).toBe('X25519');
  });

  it('requirePostQuantum: by call, by policy for every context, by policy for named contexts', async () => {
    const a = await setup();
    expect(
      await outcomeOf(
        a.dir.resolveRecipients([a.w.tool.name, a.w.agent.name], { requirePostQuantum: true }),
      ),
    ).toBe('ERR_UNSUPPORTED_SUITE');
    expect((await a.dir.resolveRecipient(a.w.tool.name, { requirePostQuantum: true })).kem).toBe(
      'X-Wing',
    );

    const b = await setup({ requirePostQuantum: true });
    expect(await outcomeOf(b.dir.resolveRecipient(b.w.agent.name))).toBe('ERR_UNSUPPORTED_SUITE');
    // The policy is a floor: the call cannot lift it.
    expect(
      await outcomeOf(b.dir.resolveRecipient(b.w.agent.name, { requirePostQuantum: false })),
    ).toBe('ERR_UNSUPPORTED_SUITE');

    const c = await setup({ requirePostQuantum: ['tool:payments'] });
    expect(
      await outcomeOf(c.dir.resolveRecipient(c.w.agent.name, { context: 'tool:payments' })),
    ).toBe('ERR_UNSUPPORTED_SUITE');
    expect((await c.dir.resolveRecipient(c.w.agent.name, { context: 'tool:search' })).kem).toBe(
      'X25519',
    );
    expect((await c.dir.resolveRecipient(c.w.agent.name, { context: null })).kem).toBe('X25519');
    expect(
      await outcomeOf(
        c.dir.resolveRecipient(c.w.agent.name, {
          context: 'tool:payments',
          requirePostQuantum: false,
        }),
      ),
    ).toBe('ERR_UNSUPPORTED_SUITE');
  });

  it('its methods work unbound (passed on their own, as a binding resolver), with the context', async () => {
    const { w, dir } = await setup({ requirePostQuantum: ['tool:payments'] });
    const { resolveRecipient, resolveRecipients } = dir;
    expect((await resolveRecipient(w.tool.name, { context: 'tool:payments' })).kem).toBe('X-Wing');
    expect(await outcomeOf(resolveRecipient(w.agent.name, { context: 'tool:payments' }))).toBe(
      'ERR_UNSUPPORTED_SUITE',
    );
    expect(
      (await resolveRecipients([w.tool.name, w.agent.name], { context: 'tool:search' })).map(
        (k) => k.kem,
      ),
    ).toEqual(['X25519', 'X25519']);
  });

  it('a policy naming contexts needs the context: keys chosen without one are refused, not X25519', async () => {
    const { w, dir } = await setup({ requirePostQuantum: ['tool:payments'] });
    // The tool has both keys: without the context, the directory cannot know
    // whether the envelope needs X-Wing, and the caller could seal X25519 keys
    // under 'tool:payments'.
    for (const o of [undefined, {}, { fresh: true }, { requirePostQuantum: false }])
      expect(await outcomeOf(dir.resolveRecipients([w.tool.name, w.agent.name], o))).toBe(
        'ERR_INVALID_ARGUMENT',
      );
    expect(await outcomeOf(dir.resolveRecipient(w.agent.name))).toBe('ERR_INVALID_ARGUMENT');
    const keys = await dir.resolveRecipients([w.tool.name], { context: 'tool:payments' });
    expect(keys[0]!.kem).toBe('X-Wing');
    const s = await seal('hi', {
      sender: w.agent,
      recipients: keys,
      context: 'tool:payments',
      now: T0,
    });
    expect(inspect(s.envelope).suite.kemName).toBe('X-Wing');
  });

  it('a malformed requirePostQuantum is refused', async () => {
    const w = await makeWorld();
    expect(() =>
      createDirectory({
        store: createMemoryStore(),
        trust: { ...w.policy, requirePostQuantum: 'yes' as unknown as boolean },
      }),
    ).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARGUMENT' }));
    const { dir } = await setup();
    expect(
      await outcomeOf(
        dir.resolveRecipient(w.tool.name, { requirePostQuantum: 1 as unknown as boolean }),
      ),
    ).toBe('ERR_INVALID_ARGUMENT');
  });

  it('a revoked hybrid key falls back to the classical one (or fails when hybrid is required)', async () => {
    const { w, dir, store, toolHybrid } = await setup();
    await store.put(
      w.tool.name,
      await createRevocation(
        w.tool.signing,
        {
          name: w.tool.name,
          kid: toolHybrid.key.kid,
          reason: 'compromise',
        },
        { now: T0 },
      ),
    );
    dir.invalidate();
    expect((await dir.resolveRecipient(w.tool.name)).kem).toBe('X25519');
    expect(await outcomeOf(dir.resolveRecipient(w.tool.name, { requirePostQuantum: true }))).toBe(
      'ERR_UNSUPPORTED_SUITE',
    );
  });
});

describe('rotation keeps the KEM', () => {
  it('an X-Wing rotator publishes X-Wing keys, which senders then prefer', async () => {
    const w = await makeWorld();
    const store = createMemoryStore();
    const [toolCert] = await w.recordsOf(w.tool);
    await store.put(w.tool.name, toolCert!);
    const clock = createClock(T0);
    const dir = createDirectory({ store, trust: w.policy, now: clock.now });
    const keyStore = createMemoryKeyStore();
    const rotator = createKeyRotator({
      identity: w.tool,
      publish: (r) => dir.publish(r),
      keyStore,
      kem: 'X-Wing',
      lifetimeSeconds: 3600,
      propagationDelaySeconds: 120,
      rotateBeforeSeconds: 900,
      retentionSeconds: 7200,
      now: clock.now,
    });
    const first = (await rotator.tick()).rotated!;
    clock.advance((3600 - 900) * 1000);
    const second = (await rotator.tick()).rotated!;
    expect(second.kid).not.toBe(first.kid);
    for (const k of [first, second]) expect(k.publicKey).toHaveLength(1216);
    clock.advance(121_000);
    dir.invalidate();
    const key = await dir.resolveRecipient(w.tool.name, { requirePostQuantum: true });
    expect(key.kid).toBe(second.kid);
    expect(() =>
      createKeyRotator({
        identity: w.tool,
        publish: async () => {},
        keyStore,
        kem: 'ML-KEM' as 'X-Wing',
        retentionSeconds: 7200,
      }),
    ).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARGUMENT' }));
  });
});

describe('rollback marks per KEM (SPEC.md §11.2)', () => {
  /** A directory over a store whose content the test swaps between two. */
  async function swapping(xwingSerial: number, classicalSerial: number) {
    const w = await makeWorld();
    const full = createMemoryStore();
    const partial = createMemoryStore();
    for (const id of [w.tool, w.agent])
      for (const r of await w.recordsOf(id, { serial: classicalSerial })) {
        await full.put(id.name, r);
        await partial.put(id.name, r);
      }
    const h = await hybridRecord(w, w.tool, xwingSerial);
    await full.put(w.tool.name, h.record);
    let current = full;
    const store = new Proxy(full, {
      get: (_t, p) => {
        const v = (current as unknown as Record<PropertyKey, unknown>)[p];
        return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(current) : v;
      },
    });
    const dir = createDirectory({ store, trust: w.policy, now: () => T0 });
    return {
      w,
      dir,
      h,
      full,
      partial,
      use: (s: 'full' | 'partial') => (current = s === 'full' ? full : partial),
    };
  }

  it('a store that withholds the X-Wing record (older serial than the X25519 one) is ERR_KEY_ROLLBACK, not X25519', async () => {
    const { w, dir, use } = await swapping(2, 5);
    expect((await dir.resolveRecipient(w.tool.name)).kem).toBe('X-Wing');
    use('partial');
    expect(await outcomeOf(dir.resolveRecipient(w.tool.name, { fresh: true }))).toBe(
      'ERR_KEY_ROLLBACK',
    );
    expect(await outcomeOf(dir.resolve(w.tool.name, { fresh: true }))).toBe('ERR_KEY_ROLLBACK');
    use('full');
    expect((await dir.resolveRecipient(w.tool.name, { fresh: true })).kem).toBe('X-Wing');
  });

  it('the X25519 mark is not raised by an X-Wing serial, and a revoked X-Wing key may go', async () => {
    const { w, dir, h, use, partial } = await swapping(9, 5);
    expect((await dir.resolveRecipient(w.tool.name)).kem).toBe('X-Wing');
    // Only the X-Wing record is higher: the X25519 keys (serial 5) still resolve.
    expect((await dir.resolve(w.tool.name)).map((k) => k.kem).sort()).toEqual(['X-Wing', 'X25519']);
    use('partial');
    expect(await outcomeOf(dir.resolve(w.tool.name, { fresh: true }))).toBe('ERR_KEY_ROLLBACK');
    // The identity revokes its X-Wing key: the set without it is accepted.
    await partial.put(w.tool.name, h.record);
    await partial.put(
      w.tool.name,
      await createRevocation(
        w.tool.signing,
        { name: w.tool.name, kid: h.key.kid, reason: 'superseded' },
        { now: T0 },
      ),
    );
    expect((await dir.resolveRecipient(w.tool.name, { fresh: true })).kem).toBe('X25519');
  });
});
