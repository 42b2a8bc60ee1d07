/**
 * Loading the files that hold private keys (trust anchors, identities) and
 * public trust anchors. Private key files are expected at mode 0600; a wider
 * mode gets a warning on stderr (the file is still used: refusing would lock
 * an operator out of their own root key).
 */
import { BlindwireError, ErrorCode, importIdentity, type Identity } from '@blindwire/core';
import {
  importTrustAnchor,
  namesCover,
  type TrustAnchor,
  type TrustAnchorPublic,
} from '@blindwire/directory';
import type { Context } from './args.js';
import { looseMode, readJson } from './files.js';
import { println } from './io.js';

function hasPrivateKey(a: TrustAnchor | TrustAnchorPublic): a is TrustAnchor {
  return 'privateKey' in a && a.privateKey instanceof Uint8Array;
}

async function warnIfLoose(ctx: Context, path: string): Promise<void> {
  const mode = await looseMode(ctx.io, path);
  if (mode)
    println(
      ctx.io.stderr,
      `warning: ${path} holds a private key but has mode ${mode}; run: chmod 600 ${path}`,
    );
}

/** An anchor file with its private key (`anchor create --out`). */
export async function loadSigningAnchor(
  ctx: Context,
  path: string,
  what = '--anchor',
): Promise<TrustAnchor> {
  const a = await importTrustAnchor(await readJson(ctx.io, path, what));
  if (!hasPrivateKey(a)) {
    throw new BlindwireError(
      ErrorCode.InvalidArgument,
      `"${what}" expected the anchor file with its private key, ${path} has only the public key`,
    );
  }
  await warnIfLoose(ctx, path);
  return a;
}

/** A public trust anchor (a private one is accepted, and only its public half is used). */
export async function loadPublicAnchor(
  ctx: Context,
  path: string,
  what = '--anchor',
): Promise<TrustAnchorPublic> {
  const a = await importTrustAnchor(await readJson(ctx.io, path, what));
  if (hasPrivateKey(a)) {
    println(
      ctx.io.stderr,
      `warning: ${path} holds the anchor's private key; relying parties need only the public anchor (anchor create --public-out)`,
    );
    a.privateKey.fill(0);
  }
  return {
    name: a.name,
    kid: a.kid,
    publicKey: a.publicKey,
    ...(a.names ? { names: a.names } : {}),
  };
}

/** An identity file with its private keys (`identity create --out`). */
export async function loadIdentity(
  ctx: Context,
  path: string,
  what = '--identity',
): Promise<Identity> {
  const identity = await importIdentity(await readJson(ctx.io, path, what));
  await warnIfLoose(ctx, path);
  return identity;
}

/** Best-effort zeroing of the private keys the CLI loaded. */
export function wipeIdentity(i: Identity | undefined): void {
  i?.signing.privateKey.fill(0);
  i?.encryption.privateKey.fill(0);
}

/**
 * Refuses to sign for a name outside the anchor's name constraints: relying
 * parties would set the record aside (SPEC.md §11.2 step 4).
 */
export function assertAnchorCovers(anchor: { names?: string[]; kid: string }, name: string): void {
  if (anchor.names === undefined || namesCover(anchor.names, name)) return;
  throw new BlindwireError(
    ErrorCode.InvalidArgument,
    `the anchor ${anchor.kid} speaks only for names matching ${anchor.names.map((n) => JSON.stringify(n)).join(', ')}, not ${JSON.stringify(name)}: relying parties would ignore what it signs for that name`,
  );
}
