/**
 * Encoding and signing records, and verifying a record's signature (SPEC.md
 * §11.1): a record is `"BW" 0x01 kind || bstr(body) || bstr(signature)` with
 * a CBOR body; the Ed25519 signature (through core's backend) covers a
 * label, the prefix and the body bytes exactly as transmitted.
 */
import {
  BlindwireError,
  ErrorCode,
  fromBase64url,
  getDefaultBackend,
  type CryptoBackend,
} from '@blindwire/core';
import {
  assertIdentityName,
  concat,
  encodeCborReference as encodeCbor,
  encodeHead,
  utf8,
  type CborMap,
  type CborValue,
} from '@blindwire/core/internal';
import { RecordKind, prefixFor } from './kinds.js';
import {
  MAX_RECORD_TIME as MAX_TIME,
  type ParsedRecord,
  type RecordBody,
  type RecordSigner,
} from './types.js';

const SIG_LABEL = utf8('blindwire/v1 record\0');

/** What a record's signature covers (SPEC.md §11.1): the label, then prefix and body as sent. */
function signingInput(signed: Uint8Array): Uint8Array {
  return concat(SIG_LABEL, signed);
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
  assertIdentityName(b.name); // SPEC.md §10: what readers accept (records/parse.ts)
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
  const b = options?.backend ?? getDefaultBackend();
  if (signer.kid !== body.issuerKid) {
    throw new BlindwireError(
      ErrorCode.InvalidArgument,
      '"signer.kid" expected to equal the record\'s issuer kid',
    );
  }
  const encoded = encodeCbor(bodyMap(body));
  const prefix = prefixFor(body.kind);
  const signed = concat(prefix, encodeHead(2, encoded.length), encoded);
  const signature = await b.ed25519Sign(signer.privateKey, signingInput(signed));
  return concat(signed, encodeHead(2, 64), signature);
}

/** Verifies a parsed record's signature with the issuer's public key. */
export async function verifyRecordSignature(
  p: ParsedRecord,
  issuerPublicKey: Uint8Array,
  options?: { backend?: CryptoBackend },
): Promise<boolean> {
  const b = options?.backend ?? getDefaultBackend();
  return b.ed25519Verify(issuerPublicKey, signingInput(p.signed), p.signature);
}
