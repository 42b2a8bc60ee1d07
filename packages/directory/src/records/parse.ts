/**
 * Signed directory records (SPEC.md §11): identity certificates (a trust
 * anchor binds a name to a signing key), encryption-key records (the
 * identity's signing key binds an X25519 HPKE key), and revocations. Each is
 * `"BW" 0x01 kind || bstr(body) || bstr(signature)` with a CBOR body; the
 * signature covers the prefix and the body bytes exactly as transmitted.
 */
import {
  BlindwireError,
  ErrorCode,
  encryptionKid,
  fromBase64url,
  getBackend,
  signingKid,
  toBase64url,
  type CryptoBackend,
} from '@blindwire/core';
import {
  concat,
  decodeCbor,
  encodeCborReference as encodeCbor,
  encodeHead,
  readHead,
  utf8,
  type CborMap,
  type CborValue,
} from '@blindwire/core/internal';

export const RecordKind = {
  /** A trust anchor certifies an identity's signing key. */
  IdentityCertificate: 0x10, // 0x10
  /** An identity's signing key binds an encryption key. */
  EncryptionKey: 0x11, // 0x11
  /** An anchor or the identity revokes a key. */
  Revocation: 0x12, // 0x12
} as const;
export type RecordKind = (typeof RecordKind)[keyof typeof RecordKind];

export const RevocationReason = {
  /**
   * Replaced in the normal course. An encryption key is no longer sealed to,
   * but its holder still opens what was queued under it; a signing key stays
   * trusted until its certificate expires.
   */
  Superseded: 1,
  /**
   * The private key may be known to others: an encryption key is never sealed
   * to again and its holder erases it; a signing key is distrusted at once,
   * queued messages included.
   */
  Compromise: 2,
} as const;
export type RevocationReason = (typeof RevocationReason)[keyof typeof RevocationReason];

/** Hard limit on one record's size in bytes. */
export const MAX_RECORD_BYTES = 4096;

const SIG_LABEL = utf8('blindwire/v1 record\0');
const PARSE_LIMITS = { maxDepth: 3, maxItems: 16, maxStringBytes: 1024 };
const MAX_TIME = 0xffffffff;

export interface IdentityCertificate {
  kind: typeof RecordKind.IdentityCertificate;
  issuerKid: string;
  name: string;
  signingKey: Uint8Array;
  signingKid: string;
  notBefore: number;
  notAfter: number;
  serial: number;
}

export interface EncryptionKeyRecord {
  kind: typeof RecordKind.EncryptionKey;
  issuerKid: string;
  name: string;
  publicKey: Uint8Array;
  kid: string;
  suite: { kem: number; kdf: number; aead: number };
  notBefore: number;
  notAfter: number;
  serial: number;
}

export interface Revocation {
  kind: typeof RecordKind.Revocation;
  issuerKid: string;
  name: string;
  targetKid: string;
  reason: RevocationReason;
  issuedAt: number;
}

export type RecordBody = IdentityCertificate | EncryptionKeyRecord | Revocation;

/** A parsed record: its body, and what its signature covers, not yet verified. */
export interface ParsedRecord {
  body: RecordBody;
  signed: Uint8Array;
  signature: Uint8Array;
  bytes: Uint8Array;
}

/** The signer of a record: an anchor or an identity's signing key. */
export interface RecordSigner {
  kid: string;
  privateKey: Uint8Array;
}

export interface TrustAnchor {
  name: string;
  kid: string;
  publicKey: Uint8Array;
  privateKey: Uint8Array;
  /**
   * Name constraints (optional): the identity names this anchor may certify
   * and revoke for, as patterns (`*` any run without `/`, `**` any run), e.g.
   * `spiffe://acme.example/**`. Without them the anchor speaks for every name.
   * A relying party that trusts several organisations' anchors sets them, so
   * that one organisation's root cannot certify another's identities.
   */
  names?: string[];
}
export type TrustAnchorPublic = Pick<TrustAnchor, 'name' | 'kid' | 'publicKey' | 'names'>;

function malformed(what: string): BlindwireError {
  return new BlindwireError(ErrorCode.RecordMalformed, `malformed record: ${what}`);
}

function checkTime(v: number, name: string): number {
  if (!Number.isInteger(v) || v < 0 || v > MAX_TIME) {
    throw new BlindwireError(
      ErrorCode.InvalidArgument,
      `"${name}" expected Unix seconds up to ${MAX_TIME}`,
    );
  }
  return v;
}

function bodyMap(b: RecordBody): CborMap {
  const kid = (s: string) => fromBase64url(s, 'kid');
  switch (b.kind) {
    case RecordKind.IdentityCertificate:
      return new Map<number, CborValue>([
        [1, kid(b.issuerKid)],
        [2, b.name],
        [3, b.signingKey],
        [4, checkTime(b.notBefore, 'notBefore')],
        [5, checkTime(b.notAfter, 'notAfter')],
        [6, b.serial],
      ]);
    case RecordKind.EncryptionKey:
      return new Map<number, CborValue>([
        [1, kid(b.issuerKid)],
        [2, b.name],
        [3, b.publicKey],
        [4, [b.suite.kem, b.suite.kdf, b.suite.aead]],
        [5, kid(b.kid)],
        [6, checkTime(b.notBefore, 'notBefore')],
        [7, checkTime(b.notAfter, 'notAfter')],
        [8, b.serial],
      ]);
    case RecordKind.Revocation:
      return new Map<number, CborValue>([
        [1, kid(b.issuerKid)],
        [2, b.name],
        [3, kid(b.targetKid)],
        [4, b.reason],
        [5, checkTime(b.issuedAt, 'issuedAt')],
      ]);
  }
}

/** Encodes and signs a record (SPEC.md §11.1). */
export async function signRecord(
  body: RecordBody,
  signer: RecordSigner,
  options?: { backend?: CryptoBackend },
): Promise<Uint8Array> {
  const b = options?.backend ?? getBackend();
  if (signer.kid !== body.issuerKid) {
    throw new BlindwireError(
      ErrorCode.InvalidArgument,
      '"signer.kid" expected to equal the record\'s issuer kid',
    );
  }
  const encoded = encodeCbor(bodyMap(body));
  const prefix = Uint8Array.of(0x42, 0x57, 0x01, body.kind);
  const signed = concat(prefix, encodeHead(2, encoded.length), encoded);
  const signature = await b.ed25519Sign(signer.privateKey, concat(SIG_LABEL, signed));
  return concat(signed, encodeHead(2, 64), signature);
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
        publicKey: bytes(m.get(3), 'public key', 32),
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
 * Parses a record without verifying it (SPEC.md §11.2 steps 1-3). Throws
 * ERR_LIMIT_EXCEEDED for an oversized record and ERR_RECORD_MALFORMED for
 * anything else wrong with its bytes.
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
  try {
    if (record.length < 4 || record[0] !== 0x42 || record[1] !== 0x57 || record[2] !== 0x01)
      throw malformed('bad magic');
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
  } catch (e) {
    if (e instanceof BlindwireError && e.code === ErrorCode.RecordMalformed) throw e;
    throw malformed(e instanceof BlindwireError ? e.message : 'CBOR');
  }
}

/** Verifies a parsed record's signature with the issuer's public key. */
export async function verifyRecordSignature(
  p: ParsedRecord,
  issuerPublicKey: Uint8Array,
  options?: { backend?: CryptoBackend },
): Promise<boolean> {
  const b = options?.backend ?? getBackend();
  return b.ed25519Verify(issuerPublicKey, concat(SIG_LABEL, p.signed), p.signature);
}
