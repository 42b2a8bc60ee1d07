/**
 * The MCP carrier (SPEC.md §11e), pure and synchronous: where a sealed call
 * and its sealed answer sit inside JSON-RPC messages, in band. The request's
 * envelope is the one field of `arguments`; the answer's is an embedded
 * resource blob in the result's `content`, or `data` of a JSON-RPC error.
 * Both in standard base64 (RFC 4648 §4). Nothing here decides trust: a
 * receiver opens what it finds and acts on what the open released.
 */
import { BlindwireError, ErrorCode, MediaType, fromBase64url, toBase64url } from '@blindwire/core';

/** SPEC.md §11e: the one field of a sealed call's `arguments`. */
export const ENVELOPE_FIELD = 'blindwire/envelope';
/** SPEC.md §11e: the `_meta` namespace; incoming keys with it are stripped. */
export const META_PREFIX = 'blindwire/';
/** SPEC.md §11e: the `_meta` key under which the server gives the tool the verified caller. */
export const CALLER_META = 'blindwire/caller';
/** SPEC.md §11e: the `_meta` key by which the server advertises a sealed tool in `tools/list`. */
export const SEALED_META = 'blindwire/sealed';
/** SPEC.md §11e: the field of a JSON-RPC error's `data` holding a sealed error. */
export const RESPONSE_FIELD = 'blindwire/response';
/** SPEC.md §11e: the URI of the embedded resource holding a sealed result. */
export const RESPONSE_URI = 'blindwire:response';
/** The JSON Schema keyword that mirrors an argument into an `Mcp-Param-*` header. */
export const HEADER_MARK = 'x-mcp-header';

const B64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** Standard base64 with padding (RFC 4648 §4). */
export function toBase64(b: Uint8Array): string {
  const s = toBase64url(b).replace(/-/g, '+').replace(/_/g, '/');
  return s + '='.repeat((4 - (s.length % 4)) % 4);
}

/** Strict standard base64: padded, canonical, no whitespace; else ERR_ENVELOPE_MALFORMED. */
export function fromBase64(s: string, limit: number): Uint8Array {
  if (s.length > Math.ceil(limit / 3) * 4)
    throw new BlindwireError(ErrorCode.LimitExceeded, `the envelope exceeds ${limit} bytes`);
  if (!B64.test(s)) throw malformed('the envelope is not standard base64');
  try {
    return fromBase64url(s.replace(/=+$/, '').replace(/\+/g, '-').replace(/\//g, '_'));
  } catch {
    throw malformed('the envelope is not canonical base64');
  }
}

/** The `arguments` of a sealed call: exactly `{ "blindwire/envelope": base64 }`. */
export function sealedArguments(envelope: Uint8Array): Record<string, string> {
  return { [ENVELOPE_FIELD]: toBase64(envelope) };
}

/** Whether `args` has the sealed form (one field, a string). */
export function isSealedArguments(args: unknown): args is Record<typeof ENVELOPE_FIELD, string> {
  if (!isObject(args)) return false;
  const keys = Object.keys(args);
  return (
    keys.length === 1 && keys[0] === ENVELOPE_FIELD && typeof args[ENVELOPE_FIELD] === 'string'
  );
}

/** The result of a sealed call: one embedded resource of our response type. */
export function sealedResult(envelope: Uint8Array): Record<string, unknown> {
  return {
    content: [
      {
        type: 'resource',
        resource: { uri: RESPONSE_URI, mimeType: MediaType.Response, blob: toBase64(envelope) },
      },
    ],
  };
}

/** The sealed blob of a result, if it has exactly the form of `sealedResult`. */
export function sealedBlobOfResult(result: unknown): string | undefined {
  if (!isObject(result) || !Array.isArray(result.content) || result.content.length !== 1)
    return undefined;
  const c: unknown = result.content[0];
  if (!isObject(c) || c.type !== 'resource' || !isObject(c.resource)) return undefined;
  const r = c.resource;
  if (r.uri !== RESPONSE_URI || r.mimeType !== MediaType.Response) return undefined;
  return typeof r.blob === 'string' ? r.blob : undefined;
}

/** The sealed blob of an error's `data`, if it has one. */
export function sealedBlobOfError(error: unknown): string | undefined {
  if (!isObject(error) || !isObject(error.data)) return undefined;
  const b = error.data[RESPONSE_FIELD];
  return typeof b === 'string' ? b : undefined;
}

/** `params._meta` without our namespace: keys a peer wrote there are never trusted. */
export function stripMeta(params: Record<string, unknown>): Record<string, unknown> {
  const meta = params._meta;
  if (!isObject(meta)) return params;
  const keys = Object.keys(meta);
  if (!keys.some((k) => k.startsWith(META_PREFIX))) return params;
  const kept = Object.fromEntries(
    keys.filter((k) => !k.startsWith(META_PREFIX)).map((k) => [k, meta[k]]),
  );
  return { ...params, _meta: kept };
}

/** Whether a JSON Schema holds an `x-mcp-header` mark anywhere. */
export function hasHeaderMark(schema: unknown): boolean {
  if (Array.isArray(schema)) return schema.some(hasHeaderMark);
  if (!isObject(schema)) return false;
  return Object.keys(schema).some((k) => k === HEADER_MARK || hasHeaderMark(schema[k]));
}

/** A copy of a JSON Schema with every `x-mcp-header` mark removed. */
export function withoutHeaderMarks<T>(schema: T): T {
  if (Array.isArray(schema)) return schema.map(withoutHeaderMarks) as T;
  if (!isObject(schema)) return schema;
  return Object.fromEntries(
    Object.entries(schema)
      .filter(([k]) => k !== HEADER_MARK)
      .map(([k, v]) => [k, withoutHeaderMarks(v)]),
  ) as T;
}

export function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function malformed(message: string): BlindwireError {
  return new BlindwireError(ErrorCode.EnvelopeMalformed, message);
}
