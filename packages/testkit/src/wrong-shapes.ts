/**
 * Values of the wrong shape, as a JavaScript caller may pass them for any
 * option: numbers (NaN, infinities, -0), strings, arrays, objects, null,
 * booleans, bigints, symbols, bytes, dates, functions that answer anything,
 * objects and Proxies whose every read throws, revoked Proxies, and Proxies
 * that pass through to a value (a Proxy of a Uint8Array is no Uint8Array).
 * Never `undefined` (that is an absent option). Plus how to put one at a
 * path of an options object, as a value or behind a getter that throws.
 * The generator of the option property tests of core and of @blindwire/node's
 * pool (`@blindwire/testkit/wrong-shapes`: a subpath, so that the kit's main
 * entry stays free of fast-check).
 */
import fc from 'fast-check';

/** What every throwing getter and trap throws. */
export const GETTER_ERROR = new Error('a getter that throws');

const fail = () => {
  throw GETTER_ERROR;
};

/** An object whose every read, key listing and `in` test throws. */
export function throwingObject(): object {
  return new Proxy(
    {},
    {
      get: fail,
      has: fail,
      ownKeys: fail,
      getOwnPropertyDescriptor: fail,
      getPrototypeOf: fail,
    },
  );
}

function revokedProxy(): object {
  const { proxy, revoke } = Proxy.revocable({}, {});
  revoke();
  return proxy;
}

/**
 * A value of the wrong shape, made fresh for each run (a Proxy cannot be
 * printed when a property fails, so fast-check is shown its label instead).
 */
export interface Shape {
  label: string;
  make(): unknown;
}

const shape = (label: string, make: () => unknown): Shape =>
  Object.assign({ label, make }, { [fc.toStringMethod]: () => label });

/** A plain value, printed as fast-check prints it. */
const plain = (arb: fc.Arbitrary<unknown>) => arb.map((v) => shape(fc.stringify(v), () => v));

export const wrongShape: fc.Arbitrary<Shape> = fc.oneof(
  plain(fc.double()),
  plain(fc.integer()),
  plain(fc.string({ maxLength: 40 })),
  plain(fc.array(fc.anything({ maxDepth: 2 }), { maxLength: 4 })),
  plain(fc.object({ maxDepth: 2 })),
  plain(fc.constantFrom<unknown>(null, NaN, true, false, 0, -0, 1, -1, '', '1', 'true', [], {})),
  plain(fc.bigInt()),
  plain(fc.uint8Array({ maxLength: 40 })),
  plain(fc.date()),
  fc.constant(shape('a symbol', () => Symbol('option'))),
  fc
    .anything({ maxDepth: 1 })
    .map((v) => shape(`a function answering ${fc.stringify(v)}`, () => () => v)),
  fc.constant(shape('an object whose every read throws', throwingObject)),
  fc.constant(shape('a revoked Proxy', revokedProxy)),
  fc
    .uint8Array({ minLength: 16, maxLength: 32 })
    .map((b) => shape(`a Proxy of ${fc.stringify(b)}`, () => new Proxy(b.slice(), {}))),
  fc
    .anything({ maxDepth: 1 })
    .map((v) =>
      shape(
        `a Proxy of ${fc.stringify(v)}`,
        () => new Proxy(typeof v === 'object' && v ? v : {}, {}),
      ),
    ),
);

/** A value at a path, or a getter that throws there. */
export interface Placement {
  path: string;
  value: unknown;
  throwingGetter: boolean;
}

/** A placement as generated: the value is made when the run starts. */
export interface PlacementSpec {
  path: string;
  value: Shape;
  throwingGetter: boolean;
}

/** The placement of a run, with its value made now. */
export const made = (p: PlacementSpec): Placement => ({ ...p, value: p.value.make() });

/**
 * A copy of `base` with `p` applied: plain objects and arrays along the path
 * are copied (the rest is shared), and the last key is set to the value or
 * defined as a getter that throws. The empty path replaces `base`.
 */
export function place<T>(base: T, p: Placement): unknown {
  if (p.path === '') return p.throwingGetter ? throwingObject() : p.value;
  const keys = p.path.split('.');
  const root = copy(base);
  let at = root as Record<string, unknown>;
  for (const k of keys.slice(0, -1)) {
    at[k] = copy(at[k]);
    at = at[k] as Record<string, unknown>;
  }
  const last = keys[keys.length - 1]!;
  if (p.throwingGetter) Object.defineProperty(at, last, { get: fail, enumerable: true });
  else at[last] = p.value;
  return root;
}

function copy(v: unknown): unknown {
  if (Array.isArray(v)) return [...(v as unknown[])];
  if (typeof v === 'object' && v !== null && !(v instanceof Uint8Array)) return { ...v };
  return v;
}

/** Placements at `paths`: mostly wrong-shaped values, sometimes a throwing getter. */
export function placements(paths: readonly string[]): fc.Arbitrary<PlacementSpec> {
  return fc.record({
    path: fc.constantFrom(...paths),
    value: wrongShape,
    throwingGetter: fc.integer({ min: 0, max: 9 }).map((n) => n < 2),
  });
}
