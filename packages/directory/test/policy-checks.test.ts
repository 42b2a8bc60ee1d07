/**
 * The trust policy is checked before any record is looked at (SPEC.md §11.2
 * step 0), what can be checked at once already at construction; `allowedSuites` is a
 * list of known AEAD names, never a string (`includes` would match substrings);
 * and a store whose list is not an array of records fails like any other fetch
 * (ERR_TRANSPORT), never with a bare TypeError.
 */
import { describe, expect, it } from 'vitest';
import { outcomeOf, outcomeOfSync, rejection } from '@blindwire/testkit';
import {
  createDirectory,
  createMemoryStore,
  trustAnchorPublic,
  type DirectoryStore,
  type TrustPolicy,
} from '../src/index.js';
import { usableEncryptionKeys, verifyRecordSet } from '../src/internal.js';
import { T0, S0, makeWorld, type World } from './helpers/world.js';

/** Policies that are misconfigured, each with a cap the world's two records exceed. */
function misconfigured(w: World): [string, TrustPolicy][] {
  const anchor = trustAnchorPublic(w.anchor);
  return [
    ['an anchor kid of another key', { anchors: [{ ...anchor, kid: w.otherAnchor.kid }] }],
    [
      'a pinned kid of another key',
      {
        anchors: [anchor],
        pinned: [{ name: w.tool.name, signing: { ...w.tool.signing, kid: w.agent.signing.kid } }],
      },
    ],
    ['malformed anchor names', { anchors: [{ ...anchor, names: [] }] }],
    ['a string as allowedSuites', { anchors: [anchor], allowedSuites: 'AES-256-GCM' as never }],
  ].map(([what, p]) => [what as string, { ...(p as TrustPolicy), maxRecords: 1 }]);
}

describe('trust policy checks come first (SPEC.md §11.2 step 0)', () => {
  it('verifyRecordSet refuses a misconfigured policy even when the store returned too many records', async () => {
    const w = await makeWorld();
    const records = await w.recordsOf(w.tool); // 2 records, over maxRecords 1
    for (const [what, policy] of misconfigured(w)) {
      expect(await outcomeOf(verifyRecordSet(w.tool.name, records, policy)), what).toBe(
        'ERR_INVALID_ARGUMENT',
      );
    }
    // A sound policy with the same cap: the record count is what fails.
    expect(
      await outcomeOf(verifyRecordSet(w.tool.name, records, { ...w.policy, maxRecords: 1 })),
    ).toBe('ERR_LIMIT_EXCEEDED');
  });

  it('resolve reports a kid mismatch, not the record count (the kids are recomputed on every resolve)', async () => {
    const w = await makeWorld();
    const store = createMemoryStore();
    for (const r of await w.recordsOf(w.tool)) await store.put(w.tool.name, r);
    const [, policy] = misconfigured(w)[0]!;
    const dir = createDirectory({ store, trust: policy, now: () => T0 });
    const e = await rejection(dir.resolve(w.tool.name));
    expect(e.code).toBe('ERR_INVALID_ARGUMENT');
    expect(e.message).toMatch(/kid of the anchor .* does not match its key/);
  });

  it('createDirectory refuses malformed anchor names at construction', async () => {
    const w = await makeWorld();
    const anchor = trustAnchorPublic(w.anchor);
    for (const names of [[], [''], [42], 'spiffe://acme.example/**', null]) {
      const trust = { anchors: [{ ...anchor, names }] } as unknown as TrustPolicy;
      expect(
        outcomeOfSync(() => createDirectory({ store: createMemoryStore(), trust })),
        `names = ${JSON.stringify(names)}`,
      ).toBe('ERR_INVALID_ARGUMENT');
    }
    expect(() =>
      createDirectory({
        store: createMemoryStore(),
        trust: { anchors: [{ ...anchor, names: ['spiffe://acme.example/**'] }] },
      }),
    ).not.toThrow();
  });
});

describe('trust.allowedSuites', () => {
  const BAD_SUITES: unknown[] = [
    'AES-256-GCM',
    'AES-128-GCM,AES-256-GCM',
    'xAES-256-GCMx',
    ['aes-256-gcm'],
    ['AES-256-GCM', 'AES-512-GCM'],
    ['AES-256'],
    [1],
    // eslint-disable-next-line no-sparse-arrays
    [, 'AES-256-GCM'],
    new Array(1),
    null,
    {},
    3,
  ];

  it('createDirectory refuses suites that are not a list of known AEAD names, naming "allowedSuites"', async () => {
    const w = await makeWorld();
    for (const suites of BAD_SUITES) {
      const trust = { ...w.policy, allowedSuites: suites } as unknown as TrustPolicy;
      let thrown: unknown;
      try {
        createDirectory({ store: createMemoryStore(), trust, now: () => T0 });
      } catch (e) {
        thrown = e;
      }
      expect((thrown as { code?: string })?.code, `suites = ${String(suites)}`).toBe(
        'ERR_INVALID_ARGUMENT',
      );
      expect((thrown as Error).message).toMatch(/"trust\.allowedSuites" expected/);
    }
  });

  it('an empty allowedSuites list is refused as a configuration error (it would make every key ERR_UNSUPPORTED_SUITE)', async () => {
    const w = await makeWorld();
    expect(() =>
      createDirectory({ store: createMemoryStore(), trust: { ...w.policy, allowedSuites: [] } }),
    ).toThrow(/"trust\.allowedSuites" expected a non-empty array/);
    const records = await w.recordsOf(w.tool);
    expect(
      await outcomeOf(verifyRecordSet(w.tool.name, records, { ...w.policy, allowedSuites: [] })),
    ).toBe('ERR_INVALID_ARGUMENT');
  });

  it('verifyRecordSet and usableEncryptionKeys refuse the same allowedSuites (no substring match)', async () => {
    const w = await makeWorld();
    const records = await w.recordsOf(w.tool); // an AES-256-GCM key
    const v = await verifyRecordSet(w.tool.name, records, w.policy);
    for (const suites of BAD_SUITES) {
      const policy = { ...w.policy, allowedSuites: suites } as unknown as TrustPolicy;
      expect(await outcomeOf(verifyRecordSet(w.tool.name, records, policy)), String(suites)).toBe(
        'ERR_INVALID_ARGUMENT',
      );
      expect(
        outcomeOfSync(() => usableEncryptionKeys(v, S0, policy)),
        String(suites),
      ).toBe('ERR_INVALID_ARGUMENT');
    }
  });

  it('a policy that still sets the old "suites" field is refused, not silently widened', async () => {
    const w = await makeWorld();
    const trust = { ...w.policy, suites: ['AES-256-GCM'] } as unknown as TrustPolicy;
    expect(() => createDirectory({ store: createMemoryStore(), trust })).toThrow(
      /"trust\.suites" was renamed "trust\.allowedSuites"/,
    );
    expect(await outcomeOf(verifyRecordSet(w.tool.name, [], trust))).toBe('ERR_INVALID_ARGUMENT');
    // usableEncryptionKeys reads the allow-list too: it refuses the old field rather than accept every suite.
    const verified = await verifyRecordSet(w.tool.name, await w.recordsOf(w.tool), w.policy);
    expect(outcomeOfSync(() => usableEncryptionKeys(verified, S0, trust))).toBe(
      'ERR_INVALID_ARGUMENT',
    );
  });

  it('accepts lists of known names, and applies them', async () => {
    const w = await makeWorld();
    const store = createMemoryStore();
    for (const r of await w.recordsOf(w.tool)) await store.put(w.tool.name, r);
    const resolveWith = (suites: TrustPolicy['allowedSuites']) =>
      outcomeOf(
        createDirectory({
          store,
          trust: { ...w.policy, allowedSuites: suites },
          now: () => T0,
        }).resolve(w.tool.name),
      );
    expect(await resolveWith(['AES-256-GCM'])).toBe('resolved');
    expect(await resolveWith(['AES-128-GCM', 'ChaCha20-Poly1305', 'AES-256-GCM'])).toBe('resolved');
    expect(await resolveWith(['AES-128-GCM', 'ChaCha20-Poly1305'])).toBe('ERR_UNSUPPORTED_SUITE');
  });
});

describe('a store that returns a malformed list', () => {
  /** A store whose list() returns `value` on every call after the first `good` calls. */
  async function storeReturning(w: World, value: unknown, good = 0): Promise<DirectoryStore> {
    const records = await w.recordsOf(w.tool);
    let calls = 0;
    return {
      kind: 'test',
      put: async () => undefined,
      list: async () => (calls++ < good ? records : (value as Uint8Array[])),
    };
  }

  const MALFORMED: [string, unknown][] = [
    ['null', null],
    ['undefined', undefined],
    ['a string', 'records'],
    ['a number', 2],
    ['an object', { length: 1, 0: new Uint8Array(8) }],
    ['an array holding a string', [new Uint8Array(8), 'x']],
    ['an array holding a plain array', [[1, 2, 3]]],
    ['an array holding null', [null]],
    ['a sparse array', new Array(1)],
  ];

  it('fails with ERR_TRANSPORT, says so, and counts a fetch error', async () => {
    const w = await makeWorld();
    for (const [what, value] of MALFORMED) {
      const dir = createDirectory({ store: await storeReturning(w, value), trust: w.policy });
      const e = await rejection(dir.resolve(w.tool.name));
      expect(e.code, what).toBe('ERR_TRANSPORT');
      expect(e.message, what).toMatch(/the store returned a malformed list/);
      expect(dir.stats.fetchErrors, what).toBe(1);
      expect(await outcomeOf(dir.resolveSigningKey(w.tool.name, w.tool.signing.kid)), what).toBe(
        'ERR_TRANSPORT',
      );
      expect(await outcomeOf(dir.revocationOf(w.tool.name, w.tool.signing.kid)), what).toBe(
        'ERR_TRANSPORT',
      );
    }
  });

  it('is a fetch failure like any other: a cached set is served stale within the bound', async () => {
    const w = await makeWorld();
    let t = T0;
    const dir = createDirectory({
      store: await storeReturning(w, null, 1),
      trust: w.policy,
      now: () => t,
      cache: { ttlMs: 1000, staleIfErrorMs: 1000 },
    });
    expect((await dir.resolveRecipient(w.tool.name)).kid).toBe(w.tool.encryption.kid);
    t += 1500; // past the TTL, within stale-if-error
    expect((await dir.resolveRecipient(w.tool.name)).kid).toBe(w.tool.encryption.kid);
    expect(dir.stats.staleServed).toBe(1);
    expect(dir.stats.fetchErrors).toBe(1);
    t += 1000; // past both
    expect(await outcomeOf(dir.resolve(w.tool.name))).toBe('ERR_TRANSPORT');
  });
});

describe('shapes that used to escape as TypeError', () => {
  it('anchors or pins that are not arrays, sparse name lists, and record lists that are not arrays are ERR_INVALID_ARGUMENT', async () => {
    const w = await makeWorld();
    const store = createMemoryStore();
    const anchor = trustAnchorPublic(w.anchor);
    for (const trust of [
      { anchors: anchor },
      { anchors: [anchor], pinned: 'x' },
      // eslint-disable-next-line no-sparse-arrays
      { anchors: [{ ...anchor, names: [, 'spiffe://acme.example/**'] }] },
    ] as unknown as TrustPolicy[]) {
      expect(
        outcomeOfSync(() => createDirectory({ store, trust })),
        JSON.stringify(trust),
      ).toBe('ERR_INVALID_ARGUMENT');
    }
    expect(
      await outcomeOf(verifyRecordSet(w.tool.name, 'x' as unknown as Uint8Array[], w.policy)),
    ).toBe('ERR_INVALID_ARGUMENT');
    expect(
      await outcomeOf(verifyRecordSet(w.tool.name, [null] as unknown as Uint8Array[], w.policy)),
    ).toBe('ERR_INVALID_ARGUMENT');
  });
});

describe('anchor and pin entries', () => {
  it('an entry that is not an object is ERR_INVALID_ARGUMENT at construction', () => {
    const store = createMemoryStore();
    for (const trust of [{ anchors: [null] }, { pinned: [null] }, { pinned: [{ name: 'x' }] }]) {
      expect(
        outcomeOfSync(() => createDirectory({ store, trust: trust as unknown as TrustPolicy })),
        JSON.stringify(trust),
      ).toBe('ERR_INVALID_ARGUMENT');
    }
  });
});
