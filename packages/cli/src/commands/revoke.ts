/**
 * `blindwire revoke`: a signed revocation of a signing or encryption key
 * (SPEC.md §11.1 revocation, §11.2 step 5), issued by a trust anchor or by the identity itself, published
 * to the store. Senders stop sealing to a revoked encryption key whatever the
 * reason; a `superseded` signing key stays valid until it expires, while a
 * `compromise`d one is rejected at once, with every key it signed. On
 * compromise the private key is also erased from `--keystore` when given:
 * that key store must exist and hold the key, or nothing is published.
 */
import { stat } from 'node:fs/promises';
import {
  createRevocation,
  eraseForCompromise,
  type RecordSigner,
  type RevocationReasonName,
} from '@blindwire/directory';
import { BlindwireError, ErrorCode, type Identity } from '@blindwire/core';
import { UsageError, flag, optString, reqString, type CommandSpec, type Context } from '../args.js';
import { absolute } from '../files.js';
import { printJson, println } from '../io.js';
import { describeRecord, openKeyStore, publishRecord, recordLine } from '../records.js';
import { assertAnchorCovers, loadIdentity, loadSigningAnchor, wipeIdentity } from '../secrets.js';
import { openStore, parseStore, type OpenStore, type StoreSpec } from '../stores.js';
import { DEFAULT_RETENTION_SECONDS } from './key.js';
import {
  JSON_OPTION,
  NOW_OPTION,
  PASSPHRASE_ENV_OPTION,
  STORE_OPTION,
  durationOption,
  nowOption,
} from '../values.js';

const REASONS: readonly RevocationReasonName[] = ['superseded', 'compromise'];

export const revoke: CommandSpec = {
  name: 'revoke',
  summary: 'Revoke a signing or encryption key, signed by the trust anchor or the identity.',
  usage:
    '--name NAME --kid KID --reason superseded|compromise (--anchor FILE | --identity FILE) [--store STORE] [--keystore FILE] [--passphrase-env VAR] [--retention S] [--now TIME] [--json]',
  description: [
    'Senders stop sealing to a revoked encryption key, whatever the reason. A signing key revoked as superseded stays valid ' +
      'until it expires; one revoked as compromise is rejected at once, and so is every key it signed. ' +
      "With --identity, --name defaults to the identity's name.",
    'With --reason compromise, --keystore names the existing key store that holds the private key, which is erased after ' +
      'the revocation is published. A missing key store is ERR_INVALID_ARGUMENT, and one that does not hold KID is ' +
      'ERR_KEY_NOT_FOUND; either way nothing is published (leave out --keystore to publish the revocation alone).',
    "The erased key's tombstone (messages queued to it then read ERR_KEY_REVOKED) lasts until its not-after plus " +
      "--retention: give the --retention of the key's rotator (key rotate); a longer tombstone already recorded stays.",
  ],
  positionals: { name: '', min: 0, max: 0 },
  options: {
    name: { type: 'string', value: 'NAME', description: 'The identity whose key is revoked.' },
    kid: {
      type: 'string',
      value: 'KID',
      description: 'The kid of the signing or encryption key to revoke. Required.',
    },
    reason: { type: 'string', value: 'REASON', description: 'superseded or compromise. Required.' },
    anchor: {
      type: 'string',
      value: 'FILE',
      description: 'Sign with this trust anchor (file with its private key).',
    },
    identity: {
      type: 'string',
      value: 'FILE',
      description: "Sign with this identity's signing key.",
    },
    store: STORE_OPTION,
    keystore: {
      type: 'string',
      value: 'FILE',
      description:
        'On compromise, also erase the private key from this key store, which must exist and hold it.',
    },
    'passphrase-env': PASSPHRASE_ENV_OPTION,
    retention: {
      type: 'string',
      value: 'S',
      description: `With --keystore: the rotator's retention, how long past its not-after the erased key stays tombstoned (SPEC.md §11.4). Default ${DEFAULT_RETENTION_SECONDS}.`,
    },
    now: NOW_OPTION,
    json: JSON_OPTION,
  },
  examples: [
    'blindwire revoke --name spiffe://acme.example/agents/planner --kid 4FrWZjIZMBI27bbvb54XZQ --reason compromise --anchor anchor.json',
  ],
  async run(ctx) {
    const o = parseRevokeOptions(ctx);
    // Opening a missing key store would create an empty one, "erase" nothing
    // and leave the compromised key in the real one.
    if (o.erase !== undefined) await assertKeyStoreFile(ctx, o.erase);
    const { issuer, identity, name } = await loadIssuer(ctx, o);
    let opened: OpenStore | undefined;
    try {
      if (o.erase !== undefined) await assertHolds(ctx, o.erase, o.kid);
      opened = await openStore(ctx, o.storeSpec);
      const record = await createRevocation(
        issuer,
        { name, kid: o.kid, reason: o.reason },
        { now: o.now },
      );
      const d = describeRecord(await publishRecord(opened.store, record));
      const { erased, tombstoneError } =
        o.erase !== undefined
          ? await eraseKey(ctx, o.erase, o.kid, o.retention)
          : { erased: false };
      if (flag(ctx, 'json')) printJson(ctx.io.stdout, { ...d, erased });
      else {
        println(ctx.io.stdout, `published ${recordLine(d)} (${issuer.label}) to ${opened.label}`);
        if (erased) println(ctx.io.stdout, `erased private key ${o.kid} from ${o.erase}`);
      }
      if (tombstoneError !== undefined) {
        const why =
          tombstoneError instanceof Error ? tombstoneError.message : String(tombstoneError);
        println(
          ctx.io.stderr,
          `warning: erased ${o.kid} but recorded no tombstone (${why}); messages queued to it will read ERR_KEY_NOT_FOUND`,
        );
      }
      return 0;
    } finally {
      issuer.privateKey.fill(0);
      wipeIdentity(identity);
      await opened?.close();
    }
  },
};

/** The options of `revoke`, checked (usage errors name the option). */
interface RevokeOptions {
  kid: string;
  reason: RevocationReasonName;
  anchorPath: string | undefined;
  identityPath: string | undefined;
  name: string | undefined;
  /** The key store to erase the key from: `--keystore` on a compromise. */
  erase: string | undefined;
  /** `--retention`: the tombstone lasts until the key's not-after plus this, seconds. */
  retention: number;
  now: number;
  storeSpec: StoreSpec;
}

function parseRevokeOptions(ctx: Context): RevokeOptions {
  const kid = reqString(ctx, 'kid');
  const reason = reqString(ctx, 'reason') as RevocationReasonName;
  if (!REASONS.includes(reason))
    throw new UsageError(
      `--reason expected superseded or compromise, got ${JSON.stringify(reason)}`,
      ctx.command,
    );
  const anchorPath = optString(ctx, 'anchor');
  const identityPath = optString(ctx, 'identity');
  if ((anchorPath === undefined) === (identityPath === undefined)) {
    throw new UsageError('expected exactly one of --anchor and --identity', ctx.command);
  }
  const keystorePath = optString(ctx, 'keystore');
  const name = optString(ctx, 'name');
  if (anchorPath !== undefined && name === undefined)
    throw new UsageError('missing --name', ctx.command);
  const now = nowOption(ctx);
  const storeSpec = parseStore(ctx);
  const erase = reason === 'compromise' ? keystorePath : undefined;
  const retention = durationOption(ctx, 'retention') ?? DEFAULT_RETENTION_SECONDS;
  return { kid, reason, anchorPath, identityPath, name, erase, retention, now, storeSpec };
}

/** Who signs: the trust anchor (which must cover the name) or the identity (whose name it is). */
async function loadIssuer(
  ctx: Context,
  o: RevokeOptions,
): Promise<{
  issuer: RecordSigner & { label: string };
  identity: Identity | undefined;
  name: string;
}> {
  if (o.anchorPath !== undefined) {
    const a = await loadSigningAnchor(ctx, o.anchorPath);
    try {
      assertAnchorCovers(a, o.name!);
    } catch (e) {
      a.privateKey.fill(0);
      throw e;
    }
    const issuer = { kid: a.kid, privateKey: a.privateKey, label: `trust anchor ${a.kid}` };
    return { issuer, identity: undefined, name: o.name! };
  }
  const identity = await loadIdentity(ctx, o.identityPath!);
  if (o.name !== undefined && o.name !== identity.name) {
    wipeIdentity(identity);
    throw new UsageError(
      `--name ${o.name} is not the identity in ${o.identityPath} (${identity.name})`,
      ctx.command,
    );
  }
  const issuer = {
    kid: identity.signing.kid,
    privateKey: identity.signing.privateKey,
    label: `identity key ${identity.signing.kid}`,
  };
  return { issuer, identity, name: identity.name };
}

/**
 * Erases the compromised key `kid` from the key store at `path`, with a
 * tombstone (SPEC.md §11.4): messages queued to the key then fail
 * ERR_KEY_REVOKED, not ERR_KEY_NOT_FOUND. The tombstone is kept for
 * `retention` (the rotator's) past the key's not-after, or longer when a
 * longer one is recorded; a rotator drops it then.
 */
async function eraseKey(
  ctx: Context,
  path: string,
  kid: string,
  retention: number,
): Promise<{ erased: boolean; tombstoneError?: unknown }> {
  // Opened again, not held across publishing: one process owns the file
  // at a time, and a rotator may have written it meanwhile.
  const keyStore = await openKeyStore(ctx, path, { warn: false });
  try {
    const held = await keyStore.list();
    const mine = held.find((k) => k.kid === kid);
    for (const k of held) k.privateKey.fill(0);
    if (!mine) {
      await keyStore.delete(kid);
      return { erased: false };
    }
    const until = mine.notAfter + retention;
    return { erased: true, tombstoneError: await eraseForCompromise(keyStore, kid, until) };
  } finally {
    await keyStore.close();
  }
}

async function assertKeyStoreFile(ctx: Context, path: string): Promise<void> {
  let error: string | undefined;
  try {
    if (!(await stat(absolute(ctx.io, path))).isFile()) error = 'not a regular file';
  } catch (e) {
    error = (e as NodeJS.ErrnoException)?.code ?? 'unreadable';
  }
  if (error !== undefined)
    throw new BlindwireError(
      ErrorCode.InvalidArgument,
      `"--keystore" expected an existing key store file, got ${path} (${error}); nothing was published`,
    );
}

/** Before publishing: a key store without the key is most likely the wrong one. */
async function assertHolds(ctx: Context, path: string, kid: string): Promise<void> {
  const keyStore = await openKeyStore(ctx, path);
  try {
    const held = await keyStore.list();
    for (const k of held) k.privateKey.fill(0);
    if (!held.some((k) => k.kid === kid))
      throw new BlindwireError(
        ErrorCode.KeyNotFound,
        `"--keystore" ${path} does not hold the private key ${kid}, so nothing was published; give the key store that holds it, or leave out --keystore to publish the revocation alone`,
      );
  } finally {
    await keyStore.close();
  }
}
