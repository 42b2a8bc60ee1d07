/**
 * createDirectory's options as plain JavaScript may pass them: every option
 * read once and checked at construction (a wrong shape is ERR_INVALID_ARGUMENT,
 * a throwing getter too, never a TypeError or a later surprise), the trust
 * policy used as checked, identity names under SPEC.md §10's grammar, and a
 * trust anchor that never prints its private key.
 */
import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { errorCode, outcomeOf, outcomeOfSync } from '@blindwire/testkit';
import { generateIdentity, pureBackend, toBase64url } from '@blindwire/core';
import {
  certifyIdentity,
  createDirectory,
  createMemoryStore,
  createTrustAnchor,
  exportTrustAnchor,
  importTrustAnchor,
  type DirectoryOptions,
  type TrustPolicy,
} from '../src/index.js';
import { parseRecord } from '../src/records/parse.js';
import { S0, T0, makeWorld } from './helpers/world.js';

const w = await makeWorld();
const store = createMemoryStore();
for (const id of [w.agent, w.tool])
  for (const r of await w.recordsOf(id)) await store.put(id.name, r);
const good: DirectoryOptions = { store, trust: w.policy, now: () => T0 };
const make = (o: unknown) => () => createDirectory(o as DirectoryOptions);

describe('createDirectory: every option of the wrong shape is ERR_INVALID_ARGUMENT', () => {
  const cases: [string, Record<string, unknown>][] = [
    ['options null', { options: null }],
    ['a store that is a number', { store: 5 }],
    ['a store without put', { store: { kind: 'x', list: async () => [] } }],
    [
      'a store whose watch is not a function',
      { store: { ...store, watch: 5, list: store.list, put: store.put } },
    ],
    ['a trust that is a string', { trust: 'anchors' }],
    ['a cache that is a number', { cache: 5 }],
    ['a cache that is a string', { cache: 'ttlMs=1' }],
    ['a clock that is a number', { now: T0 }],
    ['a backend that is a string', { backend: 'node' }],
    [
      'a backend missing functions',
      { backend: { name: 'fake', sha256: async () => new Uint8Array(32) } },
    ],
    ['a rollback store without save', { rollbackStore: { load: async () => [] } }],
  ];

  it.each(cases)('%s', (_, o) => {
    const options = 'options' in o ? o.options : { ...good, ...o };
    expect(outcomeOfSync(make(options))).toBe('ERR_INVALID_ARGUMENT');
  });

  it('a getter or Proxy trap that throws is ERR_INVALID_ARGUMENT with the error as its cause', () => {
    const boom = new Error('getter');
    const withGetter = {
      ...good,
      get trust(): TrustPolicy {
        throw boom;
      },
    };
    let e: unknown;
    try {
      createDirectory(withGetter);
    } catch (x) {
      e = x;
    }
    expect(e).toMatchObject({ code: 'ERR_INVALID_ARGUMENT', cause: boom });
    const trap = new Proxy(
      { anchors: w.policy.anchors },
      {
        get() {
          throw boom;
        },
      },
    );
    expect(outcomeOfSync(make({ ...good, trust: trap }))).toBe('ERR_INVALID_ARGUMENT');
  });

  it('the well-formed options construct a directory that resolves', async () => {
    const dir = createDirectory({ ...good, backend: pureBackend, cache: {} });
    expect((await dir.resolveRecipient(w.tool.name)).kid).toBe(w.tool.encryption.kid);
  });
});

describe('the trust policy is used as checked', () => {
  it('a getter that answers a list at construction and a string later cannot widen the suites', async () => {
    let reads = 0;
    const trust = {
      anchors: w.policy.anchors,
      get allowedSuites() {
        // checked once; if read again, a string that `includes` would match by substring
        return reads++ === 0 ? ['AES-128-GCM'] : 'AES-128-GCM AES-256-GCM';
      },
    } as unknown as TrustPolicy;
    const dir = createDirectory({ ...good, trust });
    expect(await outcomeOf(dir.resolve(w.tool.name))).toBe('ERR_UNSUPPORTED_SUITE');
  });

  it('a pinned name outside the grammar is refused at construction', () => {
    const pinned = [{ name: 'payments\nspiffe://acme.example/admin', signing: w.tool.signing }];
    expect(outcomeOfSync(make({ ...good, trust: { pinned } }))).toBe('ERR_INVALID_ARGUMENT');
  });
});

describe('identity names (SPEC.md §10)', () => {
  const bidi = 'spiffe://acme.example/tools/\u202epayments';

  it('resolve refuses a name outside the grammar before any fetch', async () => {
    const dir = createDirectory(good);
    for (const name of [bidi, 'spiffe://acme.example/a b', 'payments', '']) {
      expect(await errorCode(() => dir.resolve(name))).toBe('ERR_INVALID_ARGUMENT');
    }
    expect(dir.stats.fetches).toBe(0);
    expect(await dir.resolveSigningKey(bidi, w.tool.signing.kid)).toBeUndefined();
    expect(dir.stats.fetches).toBe(0);
  });

  it('a kid that is not a string is ERR_INVALID_ARGUMENT, not "not revoked"', async () => {
    const dir = createDirectory(good);
    for (const kid of [5, undefined, {}, '']) {
      expect(await errorCode(() => dir.isRevoked(w.tool.name, kid as string))).toBe(
        'ERR_INVALID_ARGUMENT',
      );
    }
  });

  it('records cannot be made for, nor parsed with, a name outside the grammar', async () => {
    const id = { ...(await generateIdentity('spiffe://acme.example/x')), name: bidi };
    expect(
      await errorCode(() =>
        certifyIdentity(w.anchor, id, { now: T0, notBefore: S0, notAfter: S0 + 60 }),
      ),
    ).toBe('ERR_INVALID_ARGUMENT');
    // A record with such a name, signed by the anchor (what a malicious store could hold).
    const genuine = await certifyIdentity(
      w.anchor,
      { ...id, name: 'spiffe://acme.example/x\u00e9' },
      {
        now: T0,
        notBefore: S0,
        notAfter: S0 + 60,
      },
    );
    const forged = genuine.slice();
    const at = Buffer.from(forged).indexOf(Buffer.from('x\u00e9'));
    forged.set([0xc2, 0x85], at + 1); // é (c3 a9) becomes NEL, a C1 control: same length
    expect((await parseRecord(genuine)).body.name).toBe('spiffe://acme.example/x\u00e9');
    expect(await errorCode(() => parseRecord(forged))).toBe('ERR_RECORD_MALFORMED');
  });
});

describe('trust anchors never print their private key', () => {
  it('inspect and JSON show the public document; the explicit export keeps the seed', async () => {
    const a = await createTrustAnchor('acme.example root');
    const again = await importTrustAnchor(exportTrustAnchor(a, true));
    for (const anchor of [a, again]) {
      const seed = toBase64url(a.privateKey);
      const bytes = Array.from(a.privateKey.subarray(0, 8)).join(', ');
      expect(inspect(anchor, { depth: Infinity, showHidden: true })).not.toContain(bytes);
      expect(JSON.stringify({ anchor })).not.toContain(seed);
      expect(JSON.parse(JSON.stringify(anchor))).toEqual(exportTrustAnchor(a));
    }
    expect(exportTrustAnchor(a, true).seed).toBe(toBase64url(a.privateKey));
  });
});
