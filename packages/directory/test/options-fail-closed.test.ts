/**
 * Numeric options that, unchecked, would make a validity check pass: a clock
 * skew given as a string (`now + "60"` concatenates) or NaN (from
 * `Number(process.env.X)`), a NaN clock, a NaN record cap. Each is refused
 * with ERR_INVALID_ARGUMENT where it is given, never turned into trust.
 */
import { describe, expect, it } from 'vitest';
import { outcomeOf, outcomeOfSync } from '@blindwire/testkit';
import {
  createDirectory,
  createKeyRotator,
  createMemoryKeyStore,
  createMemoryStore,
  type CacheOptions,
  type TrustPolicy,
} from '../src/index.js';
import {
  revocationsAt,
  signingKeyStatus,
  usableEncryptionKeys,
  verifyRecordSet,
} from '../src/internal.js';
import { S0, T0, makeWorld } from './helpers/world.js';

/** Values that are not whole seconds from 0 to 86400. */
const BAD_SKEWS: unknown[] = ['60', NaN, -1, 1.5, 86_401, Infinity, null];
/** Values that are not positive safe integers. */
const BAD_COUNTS: unknown[] = ['256', NaN, 0, -1, 1.5, Infinity, 2 ** 53, null];

async function expiredWorld() {
  const w = await makeWorld();
  const store = createMemoryStore();
  // The encryption key expired an hour before T0.
  for (const r of await w.recordsOf(w.tool, { notBefore: S0 - 2 * 86_400, notAfter: S0 - 3600 }))
    await store.put(w.tool.name, r);
  return { w, store };
}

describe('trust policy: clockSkew and maxRecords', () => {
  it('createDirectory refuses a clockSkew that is not whole seconds from 0 to 86400', async () => {
    const { w, store } = await expiredWorld();
    for (const clockSkew of BAD_SKEWS) {
      const trust = { ...w.policy, clockSkew } as unknown as TrustPolicy;
      expect(outcomeOfSync(() => createDirectory({ store, trust, now: () => T0 }))).toBe(
        'ERR_INVALID_ARGUMENT',
      );
    }
    for (const [clockSkew, outcome] of [
      [0, 'ERR_EXPIRED'],
      [60, 'ERR_EXPIRED'],
      [86_400, 'resolved'], // expired an hour ago: inside a day of skew
    ] as const) {
      const dir = createDirectory({ store, trust: { ...w.policy, clockSkew }, now: () => T0 });
      expect(await outcomeOf(dir.resolve(w.tool.name))).toBe(outcome);
    }
  });

  it('the error names the option and does not resolve an expired key', async () => {
    const { w, store } = await expiredWorld();
    expect(() =>
      createDirectory({
        store,
        trust: { ...w.policy, clockSkew: '60' as unknown as number },
        now: () => T0,
      }),
    ).toThrow(/"trust.clockSkew" expected whole seconds from 0 to 86400, got "60"/);
  });

  it('createDirectory refuses a maxRecords that is not a positive safe integer', async () => {
    const { w, store } = await expiredWorld();
    for (const maxRecords of BAD_COUNTS) {
      const trust = { ...w.policy, maxRecords } as unknown as TrustPolicy;
      expect(outcomeOfSync(() => createDirectory({ store, trust, now: () => T0 }))).toBe(
        'ERR_INVALID_ARGUMENT',
      );
    }
    const dir = createDirectory({ store, trust: { ...w.policy, maxRecords: 1 }, now: () => T0 });
    expect(await outcomeOf(dir.resolve(w.tool.name))).toBe('ERR_LIMIT_EXCEEDED');
  });

  it('verifyRecordSet refuses the same policies (ERR_INVALID_ARGUMENT)', async () => {
    const { w, store } = await expiredWorld();
    const records = await store.list(w.tool.name);
    for (const clockSkew of BAD_SKEWS) {
      const policy = { ...w.policy, clockSkew } as unknown as TrustPolicy;
      expect(await outcomeOf(verifyRecordSet(w.tool.name, records, policy))).toBe(
        'ERR_INVALID_ARGUMENT',
      );
    }
    for (const maxRecords of BAD_COUNTS) {
      const policy = { ...w.policy, maxRecords } as unknown as TrustPolicy;
      expect(await outcomeOf(verifyRecordSet(w.tool.name, records, policy))).toBe(
        'ERR_INVALID_ARGUMENT',
      );
    }
  });

  it('the exported checks refuse a bad skew or clock instead of passing an expired key', async () => {
    const { w, store } = await expiredWorld();
    const v = await verifyRecordSet(w.tool.name, await store.list(w.tool.name), w.policy);
    expect(outcomeOfSync(() => usableEncryptionKeys(v, S0, w.policy))).toBe('ERR_EXPIRED');
    for (const clockSkew of BAD_SKEWS) {
      const policy = { ...w.policy, clockSkew } as unknown as TrustPolicy;
      expect(outcomeOfSync(() => usableEncryptionKeys(v, S0, policy))).toBe('ERR_INVALID_ARGUMENT');
      expect(
        outcomeOfSync(() => signingKeyStatus(v, w.tool.signing.kid, S0, clockSkew as number)),
      ).toBe('ERR_INVALID_ARGUMENT');
      expect(outcomeOfSync(() => revocationsAt(v, S0, clockSkew as number))).toBe(
        'ERR_INVALID_ARGUMENT',
      );
    }
    // An omitted skew is the default 60 s, never `undefined` in the arithmetic.
    const later = S0 + 2 * 365 * 86_400; // the certificate has expired
    expect(signingKeyStatus(v, w.tool.signing.kid, later, undefined as unknown as number)).toBe(
      'ERR_EXPIRED',
    );
    for (const now of [NaN, '1700000000', -1, Infinity]) {
      expect(outcomeOfSync(() => usableEncryptionKeys(v, now as number, w.policy))).toBe(
        'ERR_INVALID_ARGUMENT',
      );
      expect(outcomeOfSync(() => signingKeyStatus(v, w.tool.signing.kid, now as number, 60))).toBe(
        'ERR_INVALID_ARGUMENT',
      );
    }
  });

  it('a directory whose clock returns NaN refuses to resolve (it does not pass every window)', async () => {
    const { w, store } = await expiredWorld();
    const dir = createDirectory({ store, trust: w.policy, now: () => NaN });
    expect(await outcomeOf(dir.resolve(w.tool.name))).toBe('ERR_INVALID_ARGUMENT');
    for (const r of await w.recordsOf(w.agent)) await store.put(w.agent.name, r);
    expect(await outcomeOf(dir.resolveSigningKey(w.agent.name, w.agent.signing.kid))).toBe(
      'ERR_INVALID_ARGUMENT',
    );
  });
});

describe('cache options', () => {
  const cases: [keyof CacheOptions, unknown[]][] = [
    ['ttlMs', ['60000', NaN, -1, Infinity, null]],
    ['cooldownMs', ['30000', NaN, -1, Infinity]],
    // 0 would time every fetch out; above 2^31-1 ms Node fires timers after 1 ms.
    ['timeoutMs', ['5000', NaN, -1, 0, Infinity, 2 ** 31]],
    ['staleIfErrorMs', ['300000', NaN, -1, Infinity]],
    ['negativeTtlMs', ['10000', NaN, -1, Infinity]],
    ['maxEntries', BAD_COUNTS],
    ['maxNegativeEntries', BAD_COUNTS],
  ];
  for (const [option, values] of cases) {
    it(`"cache.${option}" refuses ${values.map(String).join(', ')}`, async () => {
      const w = await makeWorld();
      for (const v of values) {
        const cache = { [option]: v } as CacheOptions;
        expect(
          outcomeOfSync(() =>
            createDirectory({ store: createMemoryStore(), trust: w.policy, cache }),
          ),
          `${option} = ${String(v)}`,
        ).toBe('ERR_INVALID_ARGUMENT');
      }
    });
  }

  it('accepts the documented ranges', async () => {
    const w = await makeWorld();
    expect(() =>
      createDirectory({
        store: createMemoryStore(),
        trust: w.policy,
        cache: {
          ttlMs: 0,
          cooldownMs: 0,
          timeoutMs: 2 ** 31 - 1,
          staleIfErrorMs: 0,
          negativeTtlMs: 0,
          maxEntries: 1,
          maxNegativeEntries: 1,
        },
      }),
    ).not.toThrow();
  });
});

describe('rotator options', () => {
  const base = async () => {
    const w = await makeWorld();
    return {
      identity: w.tool,
      publish: async () => undefined,
      keyStore: createMemoryKeyStore(),
      retentionSeconds: 3600,
    };
  };
  const cases: [string, unknown[]][] = [
    ['lifetimeSeconds', ['86400', NaN, -1, 1.5, Infinity, 1e20]],
    ['propagationDelaySeconds', ['300', NaN, -1, 1.5, Infinity, 1e20]],
    ['rotateBeforeSeconds', ['21600', NaN, -1, 1.5, Infinity, 1e20]],
    ['retentionSeconds', ['3600', NaN, -1, 0, 1.5, Infinity, 1e20]],
  ];
  for (const [option, values] of cases) {
    it(`"${option}" refuses ${values.map(String).join(', ')}`, async () => {
      const o = await base();
      for (const v of values) {
        expect(
          outcomeOfSync(() => createKeyRotator({ ...o, [option]: v })),
          `${option} = ${String(v)}`,
        ).toBe('ERR_INVALID_ARGUMENT');
      }
    });
  }

  it('start() refuses an interval that is not a positive whole number of ms (NaN would tick every ms)', async () => {
    const rotator = createKeyRotator(await base());
    try {
      for (const ms of [NaN, '60000', 0, -1, 1.5, Infinity, 2 ** 31]) {
        expect(
          outcomeOfSync(() => rotator.start(ms as number)),
          `intervalMs = ${String(ms)}`,
        ).toBe('ERR_INVALID_ARGUMENT');
      }
    } finally {
      rotator.stop();
    }
  });

  it('a clock that returns NaN fails tick() and rotate() instead of never rotating', async () => {
    const o = await base();
    await createKeyRotator({ ...o, now: () => T0 }).rotate(); // a key is held
    const rotator = createKeyRotator({ ...o, now: () => NaN });
    expect(await outcomeOf(rotator.tick())).toBe('ERR_INVALID_ARGUMENT');
    expect(await outcomeOf(rotator.rotate())).toBe('ERR_INVALID_ARGUMENT');
  });
});
