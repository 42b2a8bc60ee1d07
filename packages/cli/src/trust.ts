/**
 * What commands that read keys from a store share: the trust options
 * (`--anchor`, `--pin`, `--clock-skew`), the trust policy they make (SPEC.md
 * §11.2: keys are trusted only through an anchor or a pinned identity), and
 * the store's part in a failed resolution: a name with no records at all
 * names the store and where it looked, so a mistyped STORE is not read as an
 * identity that was never published.
 */
import { BlindwireError, ErrorCode, importPublicIdentity, isBlindwireError } from '@blindwire/core';
import type { TrustPolicy } from '@blindwire/directory';
import { UsageError, optList, type CommandSpec, type Context } from './args.js';
import { readJson } from './files.js';
import { loadPublicAnchor } from './secrets.js';
import type { OpenStore } from './stores.js';
import { durationOption } from './values.js';

export const TRUST_OPTIONS: CommandSpec['options'] = {
  anchor: {
    type: 'string',
    multiple: true,
    value: 'FILE',
    description: 'A public trust anchor (anchor create --public-out).',
  },
  pin: {
    type: 'string',
    multiple: true,
    value: 'FILE',
    description: 'A public identity whose signing key is trusted directly.',
  },
  'clock-skew': {
    type: 'string',
    value: 'S',
    description: 'Clock tolerance, seconds. Default 60.',
  },
};

/** The public identities of `--pin` (name and signing key). */
export async function pinnedIdentities(
  ctx: Context,
): Promise<{ name: string; signing: { kid: string; publicKey: Uint8Array } }[]> {
  const pinned = [];
  for (const file of optList(ctx, 'pin')) {
    const p = await importPublicIdentity(await readJson(ctx.io, file, '--pin'));
    pinned.push({ name: p.name, signing: p.signing });
  }
  return pinned;
}

/** `--anchor`, `--pin` and `--clock-skew` as a trust policy; neither anchor nor pin is a usage error. */
export async function trustPolicy(ctx: Context): Promise<TrustPolicy> {
  const anchors = [];
  for (const file of optList(ctx, 'anchor')) anchors.push(await loadPublicAnchor(ctx, file));
  const pinned = await pinnedIdentities(ctx);
  if (anchors.length === 0 && pinned.length === 0) {
    throw new UsageError(
      'missing --anchor (or --pin): keys are only trusted through an anchor or a pinned identity',
      ctx.command,
    );
  }
  const skew = durationOption(ctx, 'clock-skew');
  return { anchors, pinned, ...(skew === undefined ? {} : { clockSkew: skew }) };
}

/**
 * Runs a resolution of `name` from `opened`. When it fails, the error names
 * the store; when the store holds no record at all for `name`, it says so
 * and where it looked (`OpenStore.noRecords`): the file that does not exist,
 * the Redis key, the table.
 */
export async function resolving<T>(opened: OpenStore, name: string, run: () => Promise<T>) {
  try {
    return await run();
  } catch (e) {
    throw await explained(opened, name, e);
  }
}

/** `e` (a failed resolution of `name`), naming the store; unchanged when it already does. */
export async function explained(opened: OpenStore, name: string, e: unknown): Promise<unknown> {
  if (!isBlindwireError(e) || e.message.includes(opened.description)) return e;
  if (e.code === ErrorCode.KeyNotFound || e.code === ErrorCode.KeyUntrusted) {
    const empty = await opened.store.list(name).then(
      (records) => records.length === 0,
      () => false,
    );
    if (empty)
      return new BlindwireError(e.code, `${e.message}: ${await opened.noRecords(name)}`, {
        cause: e,
      });
  }
  return new BlindwireError(e.code, `${e.message} (${opened.description})`, { cause: e });
}
