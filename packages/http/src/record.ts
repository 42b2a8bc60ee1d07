/**
 * The plaintext of a sealed HTTP body in message mode (SPEC.md §11d.1): one deterministic CBOR
 * map (SPEC.md §3.1) `{ 1 => bstr body, ? 2 => [* [tstr name, tstr value]] }`.
 * Key 2 holds the sealed headers (the body's own `content-type` and any the
 * caller chose to seal), names lowercase. Streams (SPEC.md §7a) carry the raw
 * body and no sealed headers.
 */
import { BlindwireError, ErrorCode } from '@blindwire/core';
import { decodeCbor, encodeCbor, type CborValue } from '@blindwire/core/internal';

/** Bounds of the record's decoding: header count, value size and depth. */
const RECORD_LIMITS = { maxDepth: 4, maxItems: 256, maxStringBytes: 8192 } as const;

/** The pseudo-field that carries a response's status inside the seal (SPEC.md §11d.3). */
export const STATUS_FIELD = ':status';

/** The sealed part of an HTTP message: the headers that travel inside the envelope, and the body. */
export interface HttpRecord {
  body: Uint8Array;
  headers: [string, string][];
}

/**
 * Encodes the sealed part of an HTTP message (headers and body) as the envelope's payload;
 * `decodeRecord` reverses it.
 */
export function encodeRecord(record: HttpRecord): Uint8Array {
  const map = new Map<number, CborValue>([[1, record.body]]);
  if (record.headers.length > 0)
    map.set(
      2,
      record.headers.map(([n, v]) => [n.toLowerCase(), v]),
    );
  return encodeCbor(map);
}

/** A field name: an RFC 9110 token, lowercase. */
const NAME = /^[!#$%&'*+\-.^_`|~0-9a-z]+$/;
/** A field value: Latin-1 without NUL, CR, LF or other controls but HTAB, no whitespace at either end. */
const VALUE = /^(?:[!-~\u0080-\u00ff](?:[\t -~\u0080-\u00ff]*[!-~\u0080-\u00ff])?)?$/;
/** A response's sealed status (SPEC.md §11d.3). */
const STATUS = /^[2-5][0-9][0-9]$/;

/**
 * Reads a record the sender signed (SPEC.md §11d.1, §11d.3). A record that
 * does not parse, or whose fields no HTTP message can carry (a name that is
 * not a lowercase token, a value outside Latin-1, with a control or with
 * whitespace at an end; in a response, a `:status` other than one 200-599),
 * is ERR_ENVELOPE_MALFORMED: the sender (authenticated) wrote a bad body.
 */
export function decodeRecord(bytes: Uint8Array, kind: 'request' | 'response'): HttpRecord {
  let v: CborValue;
  try {
    v = decodeCbor(bytes, RECORD_LIMITS);
  } catch (e) {
    throw malformed(e);
  }
  if (!(v instanceof Map)) throw malformed();
  const body = v.get(1);
  const headers = v.get(2) ?? [];
  if (!(body instanceof Uint8Array) || !Array.isArray(headers)) throw malformed();
  for (const k of v.keys()) if (k !== 1 && k !== 2) throw malformed();
  const out: [string, string][] = [];
  let statuses = 0;
  for (const h of headers) {
    if (!Array.isArray(h) || h.length !== 2 || typeof h[0] !== 'string' || typeof h[1] !== 'string')
      throw malformed();
    const [name, value] = h as [string, string];
    if (name === STATUS_FIELD && kind === 'response') {
      if (++statuses > 1 || !STATUS.test(value)) throw malformed();
    } else if (!NAME.test(name) || !VALUE.test(value)) throw malformed();
    out.push([name, value]);
  }
  return { body, headers: out };
}

function malformed(cause?: unknown): BlindwireError {
  return new BlindwireError(
    ErrorCode.EnvelopeMalformed,
    'the sealed HTTP record is not { 1 => body, ? 2 => fields } with fields HTTP can carry',
    cause === undefined ? undefined : { cause },
  );
}

/** The fields that describe a body, sealed with it whenever present (SPEC.md §11d.2, §11d.3). */
export const BODY_FIELDS = ['content-type', 'content-encoding'] as const;

/** The fields of `h` sealed with a body: its own, then the chosen ones. */
export function fieldsOf(h: Headers, chosen: readonly string[], body: boolean): [string, string][] {
  const out: [string, string][] = [];
  for (const n of body ? BODY_FIELDS : []) {
    const v = h.get(n);
    if (v !== null) out.push([n, v]);
  }
  for (const n of chosen) {
    if ((BODY_FIELDS as readonly string[]).includes(n)) continue;
    // Set-Cookie values may hold ", " (dates): each is its own field, never joined.
    if (n === 'set-cookie') for (const v of h.getSetCookie()) out.push([n, v]);
    else {
      const v = h.get(n);
      if (v !== null) out.push([n, v]);
    }
  }
  return out;
}

/**
 * Fields the transport itself needs, never sealed (SPEC.md §11d.1): the
 * connection's own, the framing of the outer body, and `:status`.
 */
const UNSEALABLE = new Set([
  'host',
  'connection',
  'keep-alive',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'content-length',
]);

/** The `sealHeaders` option: lowercase tokens the transport does not need. */
export function sealableNames(names: unknown, what: string): string[] {
  if (names === undefined) return [];
  if (!Array.isArray(names))
    throw new BlindwireError(ErrorCode.InvalidArgument, `"${what}" expected an array of names`);
  return names.map((n: unknown, i) => {
    const name = typeof n === 'string' ? n.toLowerCase() : '';
    if (!NAME.test(name) || UNSEALABLE.has(name))
      throw new BlindwireError(
        ErrorCode.InvalidArgument,
        `"${what}[${i}]" expected a header name the transport does not need, got ${JSON.stringify(n)}`,
      );
    return name;
  });
}
