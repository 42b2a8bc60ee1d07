/**
 * The options every verb takes (`seal`, `open`, `inspect`, responses,
 * streams): a per-call crypto backend and the SPEC.md §8 limits; and how a
 * verb reads a caller's options object: every option once, as plain
 * JavaScript would hand it over (any shape, getters that throw, Proxies).
 */
import { getDefaultBackend } from '../backend/index.js';
import type { CryptoBackend } from '../backend/types.js';
import { BlindwireError, ErrorCode, invalidArgument, shown } from '../errors.js';
import { DEFAULT_LIMITS, MAX_LIMITS, type Limits } from '../limits.js';

export interface CommonOptions {
  /** Use this crypto backend for this call (default: the process-wide one, `getDefaultBackend()`). */
  backend?: CryptoBackend;
  /** Lower (or raise up to the ceilings) the hard limits. */
  limits?: Partial<Limits>;
}

/** The functions every backend has (backend/types.ts); `createSha256` and `aeadSealParts` are optional. */
const BACKEND_FUNCTIONS = [
  'randomBytes',
  'sha256',
  'sha512',
  'hmacSha256',
  'x25519GenerateKeyPair',
  'x25519PublicKey',
  'x25519',
  'ed25519PublicKey',
  'ed25519Sign',
  'ed25519Verify',
  'aeadSeal',
  'aeadOpen',
] as const;

/** Backends already found to have every function: the same few recur on every call. */
const checkedBackends = new WeakSet<object>();

/** The call's backend: the caller's, when it has the shape of one, else the default. */
export function backendOf(o: CommonOptions | undefined): CryptoBackend {
  const b: unknown = o?.backend;
  if (b === undefined) return getDefaultBackend();
  if (typeof b === 'object' && b !== null && checkedBackends.has(b)) return b as CryptoBackend;
  const fns = b as Record<string, unknown> | null;
  const optional = ['createSha256', 'aeadSealParts'].every(
    (f) => fns?.[f] === undefined || typeof fns[f] === 'function',
  );
  if (
    typeof b !== 'object' ||
    b === null ||
    !optional ||
    BACKEND_FUNCTIONS.some((f) => typeof fns![f] !== 'function')
  ) {
    throw invalidArgument('backend', 'a CryptoBackend (pureBackend, webBackend, ...)', shown(b));
  }
  checkedBackends.add(b);
  return b as CryptoBackend;
}

/**
 * `given[k]`, read once (a getter or a prototype's value counts as given);
 * a getter or Proxy trap that throws is ERR_INVALID_ARGUMENT naming `name`.
 */
export function readOnce(given: object, k: string, name: string): unknown {
  try {
    return (given as Record<string, unknown>)[k];
  } catch (e) {
    throw new BlindwireError(ErrorCode.InvalidArgument, `"${name}" could not be read`, {
      cause: e,
    });
  }
}

/**
 * SPEC.md §8: the caller's limits over the defaults, each within its ceiling.
 * Each known limit is read once by name, so a limit given through a prototype
 * is applied, not ignored; an own key that names no limit (nor one of
 * `otherNames`, checked by the caller) is refused, so a misspelt limit never
 * leaves the default silently in force.
 */
export function limitsOf(o: CommonOptions | undefined, otherNames: readonly string[] = []): Limits {
  const given: unknown = o?.limits;
  if (given === undefined) return DEFAULT_LIMITS;
  if (!isOptionsObject(given)) throw invalidArgument('limits', 'an object of limits', shown(given));
  let own: string[];
  try {
    own = Object.keys(given);
  } catch (e) {
    throw new BlindwireError(ErrorCode.InvalidArgument, '"limits" could not be read', { cause: e });
  }
  for (const k of own) {
    if (!Object.hasOwn(MAX_LIMITS, k) && !otherNames.includes(k))
      throw invalidArgument(`limits.${k}`, 'a known limit');
  }
  const out = { ...DEFAULT_LIMITS };
  for (const k of Object.keys(MAX_LIMITS) as (keyof Limits)[]) {
    const v = readOnce(given, k, `limits.${k}`);
    if (v === undefined) continue;
    if (!Number.isInteger(v) || (v as number) < 1 || (v as number) > MAX_LIMITS[k]) {
      throw invalidArgument(`limits.${k}`, `an integer from 1 to ${MAX_LIMITS[k]}`, shown(v));
    }
    out[k] = v as number;
  }
  return out;
}

/**
 * A caller's options object read once: each of `keys` copied into a plain
 * object, so that a getter answers once (a later read cannot differ from what
 * was checked) and a getter or Proxy trap that throws is ERR_INVALID_ARGUMENT
 * naming the option. `undefined` options are an empty object when `optional`.
 */
export function readOptions<T extends object>(
  options: unknown,
  keys: readonly (keyof T & string)[],
  optional = false,
): Partial<T> {
  if (options === undefined && optional) return {};
  if (!isOptionsObject(options))
    throw invalidArgument('options', 'an options object', shown(options));
  const out: Partial<T> = {};
  for (const k of keys) {
    let v: unknown;
    try {
      v = (options as Record<string, unknown>)[k];
    } catch (e) {
      throw new BlindwireError(ErrorCode.InvalidArgument, `"${k}" could not be read`, { cause: e });
    }
    if (v !== undefined) (out as Record<string, unknown>)[k] = v;
  }
  return out;
}

/** The built-in classes whose instances `isOptionsObject` refuses (one list, not one per call). */
const NOT_OPTIONS = [ArrayBuffer, Date, RegExp, Map, Set, WeakMap, WeakSet, Promise, Error];

/**
 * Whether `o` can be an options object: any object but the built-in data a
 * caller may pass in its place by mistake (an array, bytes, a Date meant as
 * `now`, a Map, a Promise...), which would read as "no options" and pass.
 */
export function isOptionsObject(o: unknown): o is object {
  if (typeof o !== 'object' || o === null || Array.isArray(o) || ArrayBuffer.isView(o))
    return false;
  for (let i = 0; i < NOT_OPTIONS.length; i++) if (o instanceof NOT_OPTIONS[i]!) return false;
  return true;
}

/**
 * Runs the argument checks of a verb so that whatever a caller's values do
 * (a nested getter or a Proxy trap that throws) the verb rejects with a
 * BlindwireError, ERR_INVALID_ARGUMENT for a foreign error, before any work.
 */
export function checkArguments<T>(check: () => T): T {
  try {
    return check();
  } catch (e) {
    if (e instanceof BlindwireError) throw e;
    throw new BlindwireError(ErrorCode.InvalidArgument, 'an argument could not be read', {
      cause: e,
    });
  }
}
