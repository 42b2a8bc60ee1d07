/**
 * Parsing records without verifying them (SPEC.md §11.2 steps 1-3): the
 * size limit, the prefix, the CBOR body with exactly the fields of its kind,
 * and the signature's length. Verification is trust/verify-set.ts.
 */
import {
  BlindwireError,
  ErrorCode,
  encryptionKid,
  isBlindwireError,
  signingKid,
  toBase64url,
  type CryptoBackend,
} from '@blindwire/core';
import {
  decodeCbor,
  isIdentityName,
  readHead,
  type CborMap,
  type CborValue,
} from '@blindwire/core/internal';
import { RecordKind, hasMagic } from './kinds.js';
import {
  MAX_RECORD_BYTES,
  MAX_RECORD_TIME as MAX_TIME,
  RevocationReason,
  type ParsedRecord,
  type RecordBody,
} from './types.js';

/** X-Wing's KEM id and public key length (SPEC.md §5.4). */
const KEM_XWING = 0x647a;
const XWING_PUBLIC_KEY_BYTES = 1216;

const PARSE_LIMITS = { maxDepth: 3, maxItems: 16, maxStringBytes: 1024 };

function malformed(what: string): BlindwireError {
  return new BlindwireError(ErrorCode.RecordMalformed, `malformed record: ${what}`);
}

const str = (v: CborValue | undefined, n: string) => {
  if (typeof v !== 'string' || v.length === 0) throw malformed(`${n} must be non-empty text`);
  return v;
};
const bytes = (v: CborValue | undefined, n: string, len: number) => {
  if (!(v instanceof Uint8Array) || v.length !== len) throw malformed(`${n} must be ${len} bytes`);
  return v;
};
const uint = (v: CborValue | undefined, n: string, max = Number.MAX_SAFE_INTEGER) => {
  if (typeof v !== 'number' || v < 0 || v > max)
    throw malformed(`${n} must be an unsigned integer`);
  return v;
};

function onlyKeys(m: CborMap, n: number): void {
  if (m.size !== n) throw malformed('unexpected fields');
  for (let i = 1; i <= n; i++) if (!m.has(i)) throw malformed(`missing field ${i}`);
}

function parseBody(kind: number, m: CborMap): RecordBody {
  const kid = (v: CborValue | undefined, n: string) => toBase64url(bytes(v, n, 16));
  switch (kind) {
    case RecordKind.IdentityCertificate: {
      onlyKeys(m, 6);
      const notBefore = uint(m.get(4), 'not-before', MAX_TIME);
      const notAfter = uint(m.get(5), 'not-after', MAX_TIME);
      if (notAfter < notBefore) throw malformed('not-after is before not-before');
      const signingKey = bytes(m.get(3), 'signing key', 32);
      return {
        kind,
        issuerKid: kid(m.get(1), 'issuer kid'),
        name: str(m.get(2), 'name'),
        signingKey,
        signingKid: '', // filled in by parseRecord (needs a hash)
        notBefore,
        notAfter,
        serial: uint(m.get(6), 'serial'),
      };
    }
    case RecordKind.EncryptionKey: {
      onlyKeys(m, 8);
      const s = m.get(4);
      if (!Array.isArray(s) || s.length !== 3) throw malformed('suite must be [kem, kdf, aead]');
      const notBefore = uint(m.get(6), 'not-before', MAX_TIME);
      const notAfter = uint(m.get(7), 'not-after', MAX_TIME);
      if (notAfter < notBefore) throw malformed('not-after is before not-before');
      return {
        kind,
        issuerKid: kid(m.get(1), 'issuer kid'),
        name: str(m.get(2), 'name'),
        // SPEC.md §11.1: 1216 bytes for an X-Wing key (kem 0x647a), else 32.
        publicKey: bytes(m.get(3), 'public key', s[0] === KEM_XWING ? XWING_PUBLIC_KEY_BYTES : 32),
        suite: {
          kem: uint(s[0], 'kem', 0xffff),
          kdf: uint(s[1], 'kdf', 0xffff),
          aead: uint(s[2], 'aead', 0xffff),
        },
        kid: kid(m.get(5), 'kid'),
        notBefore,
        notAfter,
        serial: uint(m.get(8), 'serial'),
      };
    }
    case RecordKind.Revocation: {
      onlyKeys(m, 5);
      const reason = uint(m.get(4), 'reason');
      if (reason !== RevocationReason.Superseded && reason !== RevocationReason.Compromise) {
        throw malformed('unknown revocation reason');
      }
      return {
        kind,
        issuerKid: kid(m.get(1), 'issuer kid'),
        name: str(m.get(2), 'name'),
        targetKid: kid(m.get(3), 'target kid'),
        reason,
        issuedAt: uint(m.get(5), 'issued-at', MAX_TIME),
      };
    }
    default:
      throw malformed(`unknown record kind ${kind}`);
  }
}

/**
 * Whether `e` is parseRecord's verdict on the bytes (ERR_RECORD_MALFORMED,
 * or ERR_LIMIT_EXCEEDED for an oversized record), not a failure of
 * something else (SPEC.md §11.2 step 2).
 */
export function isParseFailure(e: unknown): boolean {
  return (
    isBlindwireError(e, ErrorCode.RecordMalformed) || isBlindwireError(e, ErrorCode.LimitExceeded)
  );
}

/**
 * Parses a record without verifying it (SPEC.md §11.2 steps 1-3). Throws
 * ERR_LIMIT_EXCEEDED for an oversized record and ERR_RECORD_MALFORMED for
 * anything else wrong with its bytes. A failure of the crypto backend (the
 * kid's hash) is not the record's: it is rethrown as it is, never reported
 * as malformed, so that a prune never removes a record for it (SPEC.md
 * §11.6 rule 1).
 */
export async function parseRecord(
  record: Uint8Array,
  options?: { backend?: CryptoBackend },
): Promise<ParsedRecord> {
  if (!(record instanceof Uint8Array)) throw malformed('expected bytes');
  if (record.length > MAX_RECORD_BYTES) {
    throw new BlindwireError(
      ErrorCode.LimitExceeded,
      `record of ${record.length} bytes exceeds ${MAX_RECORD_BYTES}`,
    );
  }
  const { parsed, off, shl } = parseBytes(record);
  if (parsed.kind === RecordKind.IdentityCertificate) {
    parsed.signingKid = await signingKid(parsed.signingKey, options);
  } else if (parsed.kind === RecordKind.EncryptionKey) {
    if ((await encryptionKid(parsed.publicKey, options)) !== parsed.kid)
      throw malformed('kid is not the key thumbprint');
  }
  return {
    body: parsed,
    signed: record.subarray(0, off),
    signature: record.subarray(off + shl),
    bytes: record,
  };
}

/** The framing and the body, without the kid hashes; anything wrong is ERR_RECORD_MALFORMED. */
function parseBytes(record: Uint8Array): { parsed: RecordBody; off: number; shl: number } {
  try {
    if (!hasMagic(record)) throw malformed('bad magic');
    const kind = record[3]!;
    let off = 4;
    const [bm, blen, bhl] = readHead(record, off);
    if (bm !== 2 || blen > record.length - off - bhl) throw malformed('body');
    off += bhl;
    const body = record.subarray(off, off + blen);
    off += blen;
    const [sm, slen, shl] = readHead(record, off);
    if (sm !== 2 || slen !== 64 || off + shl + 64 !== record.length) throw malformed('signature');
    const m = decodeCbor(body, PARSE_LIMITS);
    if (!(m instanceof Map)) throw malformed('body is not a map');
    const parsed = parseBody(kind, m);
    if (!isIdentityName(parsed.name)) throw malformed('name is not an identity name (SPEC.md §10)');
    return { parsed, off, shl };
  } catch (e) {
    if (e instanceof BlindwireError && e.code === ErrorCode.RecordMalformed) throw e;
    throw malformed(e instanceof BlindwireError ? e.message : 'CBOR');
  }
}
