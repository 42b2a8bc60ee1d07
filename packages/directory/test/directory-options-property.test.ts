/**
 * Property (fast-check): every option of `createDirectory`, given a value of
 * the wrong shape as plain JavaScript may pass it (numbers, strings, arrays,
 * objects, null, NaN, functions answering anything, throwing getters,
 * Proxies), is ERR_INVALID_ARGUMENT at construction (the only code SPEC.md
 * §9.1 lists for it); a directory is built only from values of the
 * documented shape, and then resolves the genuine key or rejects with a
 * BlindwireError, with no unhandled rejection.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BlindwireError } from '@blindwire/core';
import { createDirectory, createMemoryStore, type DirectoryOptions } from '../src/index.js';
import { T0, makeWorld, type World } from './helpers/world.js';

const GETTER_ERROR = new Error('a getter that throws');
const fail = () => {
  throw GETTER_ERROR;
};
const throwingObject = () =>
  new Proxy({}, { get: fail, has: fail, ownKeys: fail, getOwnPropertyDescriptor: fail });

interface Shape {
  make(): unknown;
}
const shape = (label: string, make: () => unknown): Shape =>
  Object.assign({ make }, { [fc.toStringMethod]: () => label });
const plain = (arb: fc.Arbitrary<unknown>) => arb.map((v) => shape(fc.stringify(v), () => v));

/** Wrong shapes (never undefined, which is an absent option). */
const wrongShape: fc.Arbitrary<Shape> = fc.oneof(
  plain(fc.double()),
  plain(fc.integer()),
  plain(fc.string({ maxLength: 30 })),
  plain(fc.array(fc.anything({ maxDepth: 1 }), { maxLength: 3 })),
  plain(fc.object({ maxDepth: 1 })),
  plain(fc.constantFrom<unknown>(null, NaN, true, false, 0, -1, '', '60', [], {})),
  plain(fc.uint8Array({ maxLength: 40 })),
  plain(fc.date()),
  fc
    .anything({ maxDepth: 1 })
    .map((v) => shape(`a function answering ${fc.stringify(v)}`, () => () => v)),
  fc.constant(shape('an object whose every read throws', throwingObject)),
  fc
    .uint8Array({ minLength: 32, maxLength: 32 })
    .map((b) => shape('a Proxy of 32 bytes', () => new Proxy(b, {}))),
);

const CACHE_KEYS = [
  'ttlMs',
  'cooldownMs',
  'timeoutMs',
  'staleIfErrorMs',
  'recipientStaleIfErrorMs',
  'negativeTtlMs',
  'maxEntries',
  'maxNegativeEntries',
];
const intIn = (v: unknown, lo: number, hi: number) =>
  Number.isSafeInteger(v) && (v as number) >= lo && (v as number) <= hi;
const isFn = (v: unknown) => typeof v === 'function';

/** The paths at which a generated value may be of the documented shape (then a directory is built). */
const ACCEPTS: Record<string, (v: unknown) => boolean> = {
  'store.list': isFn,
  'store.put': isFn,
  'store.watch': isFn,
  'store.kind': (v) => typeof v === 'string',
  cache: (v) =>
    typeof v === 'object' &&
    v !== null &&
    !Array.isArray(v) &&
    !ArrayBuffer.isView(v) &&
    !(v instanceof Date) &&
    !CACHE_KEYS.some((k) => k in v),
  'trust.clockSkew': (v) => intIn(v, 0, 86_400),
  'trust.pinned': (v) => Array.isArray(v) && v.length === 0,
  'trust.maxRecords': (v) => intIn(v, 1, Number.MAX_SAFE_INTEGER),
  'trust.anchors.0.kid': (v) => typeof v === 'string' && v.length > 0,
  'trust.anchors.0.name': (v) => typeof v === 'string' && v.length > 0,
  'cache.ttlMs': (v) => typeof v === 'number' && Number.isFinite(v) && v >= 0,
  'cache.maxEntries': (v) => Number.isSafeInteger(v) && (v as number) >= 1,
  now: isFn,
  'rollbackStore.load': isFn,
  'rollbackStore.save': isFn,
};

const PATHS = [
  '',
  'store',
  'store.list',
  'store.put',
  'store.watch',
  'store.kind',
  'trust',
  'trust.anchors',
  'trust.anchors.0',
  'trust.anchors.0.name',
  'trust.anchors.0.kid',
  'trust.anchors.0.publicKey',
  'trust.anchors.0.names',
  'trust.pinned',
  'trust.allowedSuites',
  'trust.clockSkew',
  'trust.maxRecords',
  'cache',
  'cache.ttlMs',
  'cache.maxEntries',
  'now',
  'backend',
  'rollbackStore',
  'rollbackStore.load',
  'rollbackStore.save',
];

let w: World;
let base: Record<string, unknown>;
const unhandled: unknown[] = [];
const onUnhandled = (r: unknown) => unhandled.push(r);

beforeAll(async () => {
  process.on('unhandledRejection', onUnhandled);
  w = await makeWorld();
  const store = createMemoryStore();
  for (const r of await w.recordsOf(w.tool)) await store.put(w.tool.name, r);
  const anchor = w.policy.anchors![0]!;
  base = {
    store: { kind: 'memory', list: store.list, put: store.put, watch: () => () => undefined },
    trust: {
      anchors: [{ name: anchor.name, kid: anchor.kid, publicKey: anchor.publicKey }],
      clockSkew: 60,
      maxRecords: 256,
    },
    cache: { ttlMs: 60_000, maxEntries: 100 },
    now: () => T0 + 1000,
    rollbackStore: { load: async () => [], save: async () => undefined },
  };
});

afterAll(() => {
  process.off('unhandledRejection', onUnhandled);
});

/** `base` with `value` (or a throwing getter) at `path`, copying what lies on the way. */
function place(path: string, value: unknown, throwingGetter: boolean): unknown {
  if (path === '') return throwingGetter ? throwingObject() : value;
  const keys = path.split('.');
  const copy = (v: unknown) =>
    Array.isArray(v) ? [...v] : typeof v === 'object' && v !== null ? { ...v } : v;
  const root = copy(base) as Record<string, unknown>;
  let at = root;
  for (const k of keys.slice(0, -1)) {
    at[k] = copy(at[k]);
    at = at[k] as Record<string, unknown>;
  }
  const last = keys[keys.length - 1]!;
  if (throwingGetter) Object.defineProperty(at, last, { get: fail, enumerable: true });
  else at[last] = value;
  return root;
}

describe('createDirectory: every option, of any shape, fails closed', () => {
  it('is ERR_INVALID_ARGUMENT, or a directory that resolves the genuine key or a BlindwireError', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...PATHS),
        wrongShape,
        fc.integer({ min: 0, max: 9 }).map((n) => n < 2),
        async (path, s, throwingGetter) => {
          const value = s.make();
          const where = `${path}${throwingGetter ? ' (throwing getter)' : ''}`;
          let dir;
          try {
            dir = createDirectory(place(path, value, throwingGetter) as DirectoryOptions);
          } catch (e) {
            expect(e, `${where}: ${String(e)}`).toBeInstanceOf(BlindwireError);
            expect((e as BlindwireError).code, where).toBe('ERR_INVALID_ARGUMENT');
            return;
          }
          const accepted = !throwingGetter && (ACCEPTS[path] ?? (() => false))(value);
          expect(accepted, `${where}: built a directory from a value of the wrong shape`).toBe(
            true,
          );
          try {
            const key = await dir.resolveRecipient(w.tool.name);
            expect(key.kid, where).toBe(w.tool.encryption.kid);
          } catch (e) {
            expect(e, `${where}: ${String(e)}`).toBeInstanceOf(BlindwireError);
          }
          await dir.close();
        },
      ),
      { numRuns: 400 },
    );
    await new Promise((r) => setTimeout(r, 20));
    expect(unhandled, 'unhandled rejections').toEqual([]);
  }, 120_000);
});
