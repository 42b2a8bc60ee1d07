/**
 * Publishing signed records to a store and describing them. The store is
 * untrusted (SPEC.md §11): records are parsed here only to learn the
 * identity name they are filed under; readers verify them.
 */
import { toBase64url } from '@blindwire/core';
import { RecordKind, RevocationReason, recordId, type DirectoryStore } from '@blindwire/directory';
import { parseRecord, type ParsedRecord } from '@blindwire/directory/internal';
import { createFileKeyStore, type FileKeyStore } from '@blindwire/directory/keystore-file';
import { BlindwireError, ErrorCode } from '@blindwire/core';
import { UsageError, optString, type Context } from './args.js';
import { absolute } from './files.js';
import { println } from './io.js';
import { isoSeconds } from './values.js';

export async function publishRecord(
  store: DirectoryStore,
  record: Uint8Array,
): Promise<ParsedRecord> {
  const p = await parseRecord(record);
  await store.put(p.body.name, record);
  return p;
}

/** A plain-data description of a record, for text and JSON output. */
export function describeRecord(p: ParsedRecord): Record<string, string | number> {
  const b = p.body;
  const id = recordId(p.bytes);
  switch (b.kind) {
    case RecordKind.IdentityCertificate:
      return {
        id,
        kind: 'identity-certificate',
        name: b.name,
        issuerKid: b.issuerKid,
        signingKid: b.signingKid,
        notBefore: b.notBefore,
        notAfter: b.notAfter,
        serial: b.serial,
      };
    case RecordKind.EncryptionKey:
      return {
        id,
        kind: 'encryption-key',
        name: b.name,
        issuerKid: b.issuerKid,
        kid: b.kid,
        publicKey: toBase64url(b.publicKey),
        notBefore: b.notBefore,
        notAfter: b.notAfter,
        serial: b.serial,
      };
    case RecordKind.Revocation:
      return {
        id,
        kind: 'revocation',
        name: b.name,
        issuerKid: b.issuerKid,
        targetKid: b.targetKid,
        reason: b.reason === RevocationReason.Compromise ? 'compromise' : 'superseded',
        issuedAt: b.issuedAt,
      };
  }
}

export function recordLine(d: Record<string, string | number>): string {
  const window = (a: unknown, b: unknown) =>
    `${isoSeconds(a as number)} .. ${isoSeconds(b as number)}`;
  switch (d['kind']) {
    case 'identity-certificate':
      return `identity-certificate ${d['name']} signing kid ${d['signingKid']} (${window(d['notBefore'], d['notAfter'])}) by ${d['issuerKid']}`;
    case 'encryption-key':
      return `encryption-key ${d['name']} kid ${d['kid']} (${window(d['notBefore'], d['notAfter'])})`;
    default:
      return `revocation ${d['name']} kid ${d['targetKid']} (${d['reason']}) by ${d['issuerKid']}`;
  }
}

/**
 * Opens `--keystore` with the passphrase from the variable `--passphrase-env`
 * names; `warn: false` when a command opens it a second time.
 */
export async function openKeyStore(
  ctx: Context,
  path: string,
  { warn = true }: { warn?: boolean } = {},
): Promise<FileKeyStore> {
  // A key store is a file it reads and rewrites: '-' is not stdin here, and
  // would quietly become a file named '-' holding private keys.
  if (path === '-')
    throw new UsageError('--keystore expected a key store file, not - (stdin)', ctx.command);
  const variable = optString(ctx, 'passphrase-env');
  let passphrase: string | undefined;
  if (variable !== undefined) {
    passphrase = ctx.io.env[variable];
    if (!passphrase) {
      throw new BlindwireError(
        ErrorCode.InvalidArgument,
        `"--passphrase-env" names ${variable}, which is not set or empty`,
      );
    }
  }
  const store = await createFileKeyStore(
    absolute(ctx.io, path),
    passphrase === undefined ? {} : { passphrase },
  );
  if (!store.encrypted && warn) {
    println(
      ctx.io.stderr,
      `warning: key store ${path} is not encrypted (protected by its 0600 mode only); use --passphrase-env VAR`,
    );
  }
  return store;
}
