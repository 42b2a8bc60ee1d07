/**
 * What `blindwire open` opens with: its options, checked before any input
 * is read, and the keys and trust they name. Recipient keys come from
 * identity files and from a key store (every key a rotation kept, and the
 * tombstones of keys erased for compromise, SPEC.md §11.4); sender keys are
 * trusted when pinned, or certified by a trust anchor in the directory store
 * (SPEC.md §11.2).
 */
import { stat } from 'node:fs/promises';
import {
  BlindwireError,
  ErrorCode,
  isBlindwireError,
  type Identity,
  type OpenOptions,
  type RecipientKey,
  type SenderResolver,
} from '@blindwire/core';
import { createDirectory, type Directory, type StoredKey } from '@blindwire/directory';
import type { FileKeyStore } from '@blindwire/directory/keystore-file';
import { UsageError, flag, optList, optString, type Context } from '../args.js';
import { absolute } from '../files.js';
import { openKeyStore } from '../records.js';
import { loadIdentity, loadPublicAnchor, wipeIdentity } from '../secrets.js';
import { openStore, parseStore, type OpenStore, type StoreSpec } from '../stores.js';
import { explained, pinnedIdentities } from '../trust.js';
import { durationOption, nowOption } from '../values.js';

export interface OpenCommandOptions {
  input: string;
  identities: string[];
  keystore: string | undefined;
  /** The STORE when an --anchor is given (senders' certificates are read there). */
  storeSpec: StoreSpec | undefined;
  out: string | undefined;
  json: boolean;
  now: number;
  skew: number | undefined;
  policy: Pick<OpenOptions, 'context' | 'allowedSenders' | 'maxAge' | 'clockSkew'>;
}

/** The options of `open`, checked (usage errors name the option) before anything is read. */
export function parseOpenOptions(ctx: Context): OpenCommandOptions {
  const identities = optList(ctx, 'identity');
  const keystore = optString(ctx, 'keystore');
  if (identities.length === 0 && keystore === undefined)
    throw new UsageError(
      'missing --identity FILE or --keystore FILE: the keys to open with',
      ctx.command,
    );
  if (identities.includes('-') || keystore === '-')
    throw new UsageError(
      '--identity and --keystore expected files, not - (stdin is the input)',
      ctx.command,
    );
  if (optString(ctx, 'passphrase-env') !== undefined && keystore === undefined)
    throw new UsageError('--passphrase-env needs --keystore', ctx.command);
  const anchors = optList(ctx, 'anchor');
  if (anchors.length === 0 && optList(ctx, 'pin').length === 0)
    throw new UsageError(
      "missing --pin FILE or --anchor FILE: the sender's key must be trusted",
      ctx.command,
    );
  const patterns = optList(ctx, 'allow-sender');
  if (patterns.some((p) => p.length === 0))
    throw new UsageError('--allow-sender expected a non-empty pattern', ctx.command);
  const maxAge = durationOption(ctx, 'max-age');
  const skew = durationOption(ctx, 'clock-skew');
  const context = optString(ctx, 'context');
  const out = optString(ctx, 'out');
  return {
    input: ctx.positionals[0] ?? '-',
    identities,
    keystore,
    storeSpec: anchors.length > 0 ? parseStore(ctx) : undefined,
    out: out === '-' ? undefined : out,
    json: flag(ctx, 'json'),
    now: nowOption(ctx),
    skew,
    policy: {
      ...(context === undefined ? {} : { context }),
      ...(patterns.length === 0 ? {} : { allowedSenders: patterns }),
      ...(maxAge === undefined ? {} : { maxAge }),
      ...(skew === undefined ? {} : { clockSkew: skew }),
    },
  };
}

export interface OpenKeys {
  /** The options `open` and `openStream` take. */
  options: OpenOptions;
  /** A failure of the open, naming the store when a sender was looked up there and not found. */
  explain(e: unknown): Promise<unknown>;
  /** Zeroes the private keys and closes the key store and the directory store. */
  close(): Promise<void>;
}

/** Loads the keys and the trust `o` names. */
export async function openKeys(ctx: Context, o: OpenCommandOptions): Promise<OpenKeys> {
  const identities: Identity[] = [];
  let keyStore: FileKeyStore | undefined;
  let held: StoredKey[] = [];
  let senders: Senders | undefined;
  const close = async () => {
    identities.forEach(wipeIdentity);
    for (const k of held) k.privateKey.fill(0);
    await keyStore?.close();
    await senders?.close();
  };
  try {
    for (const file of o.identities) identities.push(await loadIdentity(ctx, file, '--identity'));
    let revokedKids: string[] = [];
    if (o.keystore !== undefined) {
      keyStore = await existingKeyStore(ctx, o.keystore);
      held = await keyStore.list();
      revokedKids = (await keyStore.tombstones()).map((t) => t.kid);
    }
    const recipient: RecipientKey[] = [...identities.map((i) => i.encryption), ...held];
    senders = await trustedSenders(ctx, o);
    const options: OpenOptions = {
      recipient,
      revokedKids,
      trustedSenders: senders.pinned,
      now: o.now,
      ...o.policy,
      ...(senders.resolve ? { resolveSender: senders.resolve } : {}),
    };
    return { options, explain: senders.explain, close };
  } catch (e) {
    await close();
    throw e;
  }
}

/** `--keystore` must name an existing key store: open never creates one. */
async function existingKeyStore(ctx: Context, path: string): Promise<FileKeyStore> {
  try {
    await stat(absolute(ctx.io, path));
  } catch (e) {
    throw new BlindwireError(
      ErrorCode.InvalidArgument,
      `"--keystore" expected an existing key store file, got ${path} (${(e as NodeJS.ErrnoException)?.code ?? 'unreadable'})`,
    );
  }
  // Reading only: whether it is sealed with a passphrase is key rotate's warning to give.
  return openKeyStore(ctx, path, { warn: false });
}

interface Senders {
  pinned: NonNullable<OpenOptions['trustedSenders']>;
  resolve: SenderResolver | undefined;
  explain(e: unknown): Promise<unknown>;
  close(): Promise<void>;
}

/**
 * Pinned senders, and with --anchor a resolver through the directory that
 * remembers the sender it could not find, so that ERR_KEY_UNTRUSTED can say
 * when the store holds nothing at all for that name.
 */
async function trustedSenders(ctx: Context, o: OpenCommandOptions): Promise<Senders> {
  const pinned = await pinnedIdentities(ctx);
  const none: Senders = {
    pinned,
    resolve: undefined,
    explain: async (e) => e,
    close: async () => undefined,
  };
  if (o.storeSpec === undefined) return none;
  const anchors = [];
  for (const file of optList(ctx, 'anchor')) anchors.push(await loadPublicAnchor(ctx, file));
  const store: OpenStore = await openStore(ctx, o.storeSpec);
  const directory: Directory = createDirectory({
    store: store.store,
    trust: { anchors, pinned, ...(o.skew === undefined ? {} : { clockSkew: o.skew }) },
    now: () => o.now,
  });
  let missed: string | undefined;
  return {
    pinned,
    async resolve(name, kid) {
      const key = await directory.resolveSigningKey(name, kid);
      if (key === undefined) missed = name;
      return key;
    },
    async explain(e) {
      if (missed === undefined || !isBlindwireError(e, ErrorCode.KeyUntrusted)) return e;
      return explained(store, missed, e);
    },
    async close() {
      await directory.close();
      await store.close();
    },
  };
}
