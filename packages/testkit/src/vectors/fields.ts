/**
 * Field readers for the vector-case parser (parse.ts): each one checks one
 * JSON value against the file format of test-vectors/README.md and throws a
 * `VectorCaseError` naming the field and what was expected, as core's
 * argument checks do (`"expect.payload" expected lowercase hex, got 12`).
 */

/** A case file or index.json that does not follow test-vectors/README.md. */
export class VectorCaseError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'VectorCaseError';
  }
}

export type Json = Record<string, unknown>;

const HEX = /^(?:[0-9a-f]{2})*$/;
const BASE64URL = /^[A-Za-z0-9_-]*$/;

/** A short, printable account of a value for an error message. */
export function shown(v: unknown): string {
  if (v === undefined) return 'nothing';
  const s = JSON.stringify(v) ?? String(v);
  return s.length > 40 ? `${s.slice(0, 37)}...` : s;
}

export function fail(path: string, expected: string, got: unknown): never {
  throw new VectorCaseError(`"${path}" expected ${expected}, got ${shown(got)}`);
}

export function object(v: unknown, path: string): Json {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) fail(path, 'an object', v);
  return v as Json;
}

/** Refuses any key not in `allowed`: a misspelt field is an error, not an ignored input. */
export function onlyKeys(o: Json, path: string, allowed: readonly string[]): void {
  for (const k of Object.keys(o)) {
    if (!allowed.includes(k)) {
      const where = path === '' ? `"${k}"` : `"${path}.${k}"`;
      throw new VectorCaseError(`${where} is not a field of this object`);
    }
  }
}

const at = (path: string, key: string) => (path === '' ? key : `${path}.${key}`);

export function string(o: Json, key: string, path = ''): string {
  const v = o[key];
  if (typeof v !== 'string') fail(at(path, key), 'a string', v);
  return v;
}

export function hex(o: Json, key: string, path = '', bytes?: number): string {
  const v = o[key];
  const what = bytes === undefined ? 'lowercase hex' : `${bytes} bytes of lowercase hex`;
  if (typeof v !== 'string' || !HEX.test(v) || (bytes !== undefined && v.length !== 2 * bytes))
    fail(at(path, key), what, v);
  return v;
}

export function base64url(o: Json, key: string, path = ''): string {
  const v = o[key];
  if (typeof v !== 'string' || v === '' || !BASE64URL.test(v))
    fail(at(path, key), 'base64url without padding', v);
  return v;
}

/** A safe integer, at least `min` when given. */
export function integer(o: Json, key: string, path = '', min?: number): number {
  const v = o[key];
  const what = min === undefined ? 'an integer' : `an integer of at least ${min}`;
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || (min !== undefined && v < min))
    fail(at(path, key), what, v);
  return v;
}

export function array(o: Json, key: string, path = ''): unknown[] {
  const v = o[key];
  if (!Array.isArray(v)) fail(at(path, key), 'an array', v);
  return v;
}

export function oneOf<T extends string>(o: Json, key: string, values: readonly T[], path = ''): T {
  const v = o[key];
  if (typeof v !== 'string' || !values.includes(v as T))
    fail(at(path, key), values.map((x) => `"${x}"`).join(' or '), v);
  return v as T;
}
