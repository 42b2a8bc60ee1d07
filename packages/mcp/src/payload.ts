/**
 * The plaintexts of the MCP binding (SPEC.md §11e): a call's `arguments`
 * object, and an answer `{"result": ...}` or `{"error": ...}`, each as UTF-8
 * JSON. A sender (authenticated) that wrote something else is
 * ERR_ENVELOPE_MALFORMED.
 */
import { BlindwireError, ErrorCode } from '@blindwire/core';
import { isObject } from './carrier.js';

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });

export function encodeJson(value: unknown): Uint8Array {
  return encoder.encode(JSON.stringify(value));
}

/** Reads a JSON object the sender signed. */
export function decodeObject(bytes: Uint8Array, what: string): Record<string, unknown> {
  let v: unknown;
  try {
    v = JSON.parse(decoder.decode(bytes));
  } catch {
    throw new BlindwireError(ErrorCode.EnvelopeMalformed, `the sealed ${what} is not UTF-8 JSON`);
  }
  if (!isObject(v))
    throw new BlindwireError(
      ErrorCode.EnvelopeMalformed,
      `the sealed ${what} is not a JSON object`,
    );
  return v;
}

/** An answer: exactly one of `result` (an object) or `error` (with a numeric code and a message). */
export function decodeAnswer(
  bytes: Uint8Array,
):
  | { result: Record<string, unknown> }
  | { error: { code: number; message: string; data?: unknown } } {
  const v = decodeObject(bytes, 'answer');
  const keys = Object.keys(v);
  if (keys.length === 1 && keys[0] === 'result' && isObject(v.result)) return { result: v.result };
  if (
    keys.length === 1 &&
    keys[0] === 'error' &&
    isObject(v.error) &&
    typeof v.error.code === 'number' &&
    typeof v.error.message === 'string'
  )
    return { error: v.error as { code: number; message: string; data?: unknown } };
  throw new BlindwireError(
    ErrorCode.EnvelopeMalformed,
    'the sealed answer is not {"result": {...}} or {"error": {...}}',
  );
}
