/**
 * `blindwire key rotate`: one step of encryption-key rotation (SPEC.md §11.4)
 * with `createKeyRotator`: erase private keys past retention,
 * and publish a new key when the newest one is close to expiry. A new key's
 * not-before is one propagation delay ahead, so every cached sender has it
 * before it becomes the newest usable key. Run it from cron or a timer.
 *
 * The key store starts from the identity file's encryption key (the one
 * `identity create` published; `seedKeyStore`), so the first rotation also waits out the
 * propagation delay instead of switching senders at once.
 */
import {
  createDirectory,
  createKeyRotator,
  identityKeyErased,
  minimumRetention,
  replaceIdentityKeys,
  seedKeyStore,
  type Directory,
  type DirectoryStore,
  type IdentityKeyReplacement,
  type StoredKey,
  type TrustAnchorPublic,
} from '@blindwire/directory';
import {
  BlindwireError,
  ErrorCode,
  exportIdentity,
  kemOfPublicKey,
  toBase64url,
  type Identity,
} from '@blindwire/core';
import type { FileKeyStore } from '@blindwire/directory/keystore-file';
import { UsageError, flag, optList, reqString, type CommandSpec, type Context } from '../args.js';
import { writeOutput } from '../files.js';
import { printJson, println } from '../io.js';
import { openKeyStore, publishRecord } from '../records.js';
import { loadIdentity, loadPublicAnchor, wipeIdentity } from '../secrets.js';
import { openStore, parseStore, type OpenStore, type StoreSpec } from '../stores.js';
import {
  DEFAULT_CLOCK_SKEW,
  JSON_OPTION,
  NOW_OPTION,
  PASSPHRASE_ENV_OPTION,
  STORE_OPTION,
  assertNowNotAhead,
  durationOption,
  isoSeconds,
  nowOption,
} from '../values.js';

/** Default retention of old private keys: 7 days. It must exceed the longest queue retention. */
export const DEFAULT_RETENTION_SECONDS = 7 * 86_400;

export const keyRotate: CommandSpec = {
  name: 'key rotate',
  summary: 'Run one rotation step: erase expired private keys, publish a new key when due.',
  usage:
    '--identity FILE --keystore FILE [--passphrase-env VAR] [--store STORE] [--anchor FILE]... [--lifetime S] [--propagation-delay S] [--retention S] [--max-queue S] [--clock-skew S] [--rotate-before S] [--force] [--now TIME] [--json]',
  description: [
    'A new key is published when the newest one expires within --rotate-before seconds (or at once with --force); ' +
      'senders start using it after --propagation-delay. Private keys are kept in the key store (mode 0600, sealed with the ' +
      'passphrase when --passphrase-env is given) until --retention seconds after they expire, then erased.',
    'A newest key that the directory holds a verified revocation for (signed by the identity, or by an --anchor) is ' +
      'replaced at once, usable at once when no other held key covers the propagation delay.',
    "A --now later than this machine's clock plus the clock skew is ERR_INVALID_ARGUMENT: a step at a future time " +
      'erases private keys that senders still seal to.',
  ],
  positionals: { name: '', min: 0, max: 0 },
  options: {
    identity: {
      type: 'string',
      value: 'FILE',
      description:
        'The identity file (its signing key signs the key records); a path, not - (stdin): a step that erases its encryption key rewrites it. Required.',
    },
    keystore: {
      type: 'string',
      value: 'FILE',
      description: 'The private key store file; created (mode 0600) when missing. Required.',
    },
    'passphrase-env': PASSPHRASE_ENV_OPTION,
    store: STORE_OPTION,
    anchor: {
      type: 'string',
      multiple: true,
      value: 'FILE',
      description:
        "A public trust anchor whose revocations of this identity's keys count too (revocations signed by the identity always do).",
    },
    lifetime: {
      type: 'string',
      value: 'S',
      description: 'Lifetime of a new key, seconds (or 12h, 1d...). Default 86400.',
    },
    'propagation-delay': {
      type: 'string',
      value: 'S',
      description: 'Time between publishing a key and its use. Default 300.',
    },
    retention: {
      type: 'string',
      value: 'S',
      description: `How long a private key is kept after it expires: at least --max-queue plus 3 × --clock-skew (SPEC.md §11.4), else ERR_INVALID_ARGUMENT. Default ${DEFAULT_RETENTION_SECONDS}.`,
    },
    'max-queue': {
      type: 'string',
      value: 'S',
      description:
        'The longest time a message may wait in a queue before it is opened; with --clock-skew it sets the smallest --retention accepted. Default 0.',
    },
    'clock-skew': {
      type: 'string',
      value: 'S',
      description:
        "Senders' and directory clients' clock tolerance, and how far this machine's clock may be off. Default 60.",
    },
    'rotate-before': {
      type: 'string',
      value: 'S',
      description: 'Rotate when the newest key expires within this time. Default lifetime / 4.',
    },
    force: { type: 'boolean', description: 'Publish a new key even if rotation is not due.' },
    now: {
      ...NOW_OPTION,
      description: `${NOW_OPTION.description} Not past the clock plus the skew.`,
    },
    json: JSON_OPTION,
  },
  examples: [
    'BLINDWIRE_KEY_PASSPHRASE=... blindwire key rotate --identity planner.json --keystore planner-keys.json --passphrase-env BLINDWIRE_KEY_PASSPHRASE',
  ],
  async run(ctx) {
    const o = parseRotateOptions(ctx);
    const anchors = [];
    for (const file of optList(ctx, 'anchor')) anchors.push(await loadPublicAnchor(ctx, file));
    const identity = await loadIdentity(ctx, o.identityPath);
    let keyStore: FileKeyStore | undefined;
    let opened: OpenStore | undefined;
    try {
      opened = await openStore(ctx, o.storeSpec);
      keyStore = await openKeyStore(ctx, o.keystorePath);
      const step = await rotationStep(ctx, o, { identity, store: opened.store, keyStore, anchors });
      printRotation(ctx, {
        name: identity.name,
        identityPath: o.identityPath,
        keystorePath: o.keystorePath,
        storeLabel: opened.label,
        ...step,
      });
      return 0;
    } finally {
      wipeIdentity(identity);
      await keyStore?.close();
      await opened?.close();
    }
  },
};

/** What one rotation step works on. */
interface StepInputs {
  identity: Identity;
  store: DirectoryStore;
  keyStore: FileKeyStore;
  anchors: TrustAnchorPublic[];
}

/** The rotator's options from the command line (SPEC.md §11.4: the retention rule checks them). */
function rotatorOptions(o: RotateOptions) {
  return {
    retentionSeconds: o.retention,
    now: () => o.now,
    ...(o.lifetime === undefined ? {} : { lifetimeSeconds: o.lifetime }),
    ...(o.delay === undefined ? {} : { propagationDelaySeconds: o.delay }),
    ...(o.rotateBefore === undefined ? {} : { rotateBeforeSeconds: o.rotateBefore }),
    ...(o.maxQueue === undefined ? {} : { maxQueueSeconds: o.maxQueue }),
    ...(o.skew === undefined ? {} : { clockSkewSeconds: o.skew }),
  };
}

/**
 * One rotation step: seed the key store from the identity file, tick (and,
 * with --force, rotate), and keep the identity file's key from outliving
 * its erasure. Returns what it did, for printing.
 */
async function rotationStep(
  ctx: Context,
  o: RotateOptions,
  s: StepInputs,
): Promise<Omit<RotationReport, 'name' | 'identityPath' | 'keystorePath' | 'storeLabel'>> {
  const { identity, store, keyStore } = s;
  const self = selfDirectory(store, identity, s.anchors, o.now, o.skew);
  const compromised =
    (await self.revocationOf(identity.name, identity.encryption.kid)) === 'compromise';
  const seeded = compromised ? undefined : await seedKeyStore(keyStore, identity, store);
  const rotator = createKeyRotator({
    identity,
    kem: kemOfPublicKey(identity.encryption.publicKey) ?? 'X25519', // rotation keeps the KEM
    isRevoked: (kid) => self.revocationOf(identity.name, kid),
    publish: async (r) => void (await publishRecord(store, r)),
    keyStore,
    ...rotatorOptions(o),
  });
  const replace = (held: StoredKey[]) => replaceIdentityKey(ctx, o, identity, keyStore, held);
  const before = await replaceBeforeStep(o, identity, keyStore, compromised, replace);
  let replaced = before.replaced;
  const step = await rotator.tick();
  if (!step.rotated && flag(ctx, 'force')) step.rotated = await rotator.rotate();
  const keys = await keyStore.list();
  if (!replaced && !before.mineHeld && compromised) replaced = await replace(keys);
  const held = keys.map((k) => ({ kid: k.kid, notBefore: k.notBefore, notAfter: k.notAfter }));
  for (const k of keys) k.privateKey.fill(0);
  const rotated = step.rotated && {
    kid: step.rotated.kid,
    publicKey: toBase64url(step.rotated.publicKey),
    notBefore: step.rotated.notBefore,
    notAfter: step.rotated.notAfter,
  };
  step.rotated?.privateKey.fill(0);
  return {
    ...(seeded === undefined ? {} : { seeded }),
    ...(rotated ? { rotated } : {}),
    erased: step.erased,
    ...(step.revoked === undefined ? {} : { revoked: step.revoked }),
    ...(replaced === undefined ? {} : { replaced }),
    held,
  };
}

/** Gives the identity file another key, written to the file (replaceIdentityKeys). */
function replaceIdentityKey(
  ctx: Context,
  o: RotateOptions,
  identity: Identity,
  keyStore: FileKeyStore,
  held: StoredKey[],
): Promise<IdentityKeyReplacement | undefined> {
  return replaceIdentityKeys(identity, held, {
    retentionSeconds: o.retention,
    now: o.now,
    sealed: keyStore.encrypted,
    save: (next) =>
      writeOutput(ctx.io, o.identityPath, JSON.stringify(exportIdentity(next), null, 2) + '\n', {
        mode: 0o600,
        force: true,
        what: 'identity',
      }),
  });
}

/**
 * The identity file's key must not outlive its erasure. When this step
 * will erase it (past retention, or at once for a compromise), the
 * identity file gets another key first: should the step then fail,
 * nothing was erased yet; should writing fail, the step does not run.
 * When it is verifiably compromised and already gone from the key store
 * (revoke erased it), the file is rewritten after the step, with the key
 * the step may have made. Never merely because the key store lacks the
 * key: the identity file may then be the only holder of a key senders
 * use. With a sealed key store a live key is not copied into the plain
 * identity file: it gets a fresh key that is never published (open with
 * the key store).
 */
async function replaceBeforeStep(
  o: RotateOptions,
  identity: Identity,
  keyStore: FileKeyStore,
  compromised: boolean,
  replace: (held: StoredKey[]) => Promise<IdentityKeyReplacement | undefined>,
): Promise<{ replaced: IdentityKeyReplacement | undefined; mineHeld: boolean }> {
  const before = await keyStore.list();
  try {
    const mineHeld = before.some((k) => k.kid === identity.encryption.kid);
    const erasing = identityKeyErased(identity, before, {
      retentionSeconds: o.retention,
      now: o.now,
      compromised,
    });
    return { replaced: erasing ? await replace(before) : undefined, mineHeld };
  } finally {
    for (const k of before) k.privateKey.fill(0);
  }
}

/**
 * A directory that verifies revocations of the identity's keys: by the
 * identity itself (pinned here) or by a given anchor. The store is
 * untrusted, as everywhere (SPEC.md §11.2).
 */
function selfDirectory(
  store: DirectoryStore,
  identity: Identity,
  anchors: TrustAnchorPublic[],
  now: number,
  skew: number | undefined,
): Directory {
  return createDirectory({
    store,
    trust: {
      pinned: [
        {
          name: identity.name,
          signing: { kid: identity.signing.kid, publicKey: identity.signing.publicKey },
        },
      ],
      anchors,
      ...(skew === undefined ? {} : { clockSkew: skew }),
    },
    now: () => now,
    cache: { ttlMs: 1 },
  });
}

/** What one `key rotate` step did, for printing. */
interface RotationReport {
  name: string;
  identityPath: string;
  keystorePath: string;
  storeLabel: string;
  seeded?: string;
  rotated?: { kid: string; publicKey: string; notBefore: number; notAfter: number };
  erased: string[];
  revoked?: string;
  replaced?: IdentityKeyReplacement;
  held: { kid: string; notBefore: number; notAfter: number }[];
}

function printRotation(ctx: Context, r: RotationReport): void {
  if (flag(ctx, 'json')) {
    printJson(ctx.io.stdout, {
      name: r.name,
      seeded: r.seeded ?? null,
      rotated: r.rotated ?? null,
      erased: r.erased,
      revoked: r.revoked ?? null,
      identityKey: r.replaced?.kid ?? null,
      identityKeyPlaceholder: r.replaced?.placeholder ?? null,
      keys: r.held,
    });
    return;
  }
  if (r.seeded)
    println(ctx.io.stdout, `seeded key store with the identity's encryption key ${r.seeded}`);
  for (const kid of r.erased) println(ctx.io.stdout, `erased private key ${kid} (past retention)`);
  if (r.revoked) println(ctx.io.stdout, `the newest key ${r.revoked} is revoked: replacing it now`);
  const replaced = r.replaced;
  if (replaced)
    println(
      ctx.io.stdout,
      replaced.placeholder
        ? `${r.identityPath} no longer holds the erased key: it holds an unpublished placeholder ${replaced.kid} (open with the key store)`
        : `${r.identityPath} now holds encryption key ${replaced.kid} (its previous key was erased)`,
    );
  const rotated = r.rotated;
  if (rotated) {
    println(
      ctx.io.stdout,
      `published encryption key ${rotated.kid} to ${r.storeLabel}: used from ${isoSeconds(rotated.notBefore)} until ${isoSeconds(rotated.notAfter)}`,
    );
  } else {
    const newest = [...r.held].sort((a, b) => b.notBefore - a.notBefore)[0];
    println(
      ctx.io.stdout,
      `no rotation due${newest ? `: newest key ${newest.kid} expires ${isoSeconds(newest.notAfter)}` : ''}`,
    );
  }
  println(
    ctx.io.stdout,
    `${r.held.length} private key${r.held.length === 1 ? '' : 's'} held in ${r.keystorePath}`,
  );
}

/** The options of `key rotate`, parsed and checked. */
interface RotateOptions {
  identityPath: string;
  storeSpec: StoreSpec;
  keystorePath: string;
  lifetime: number | undefined;
  delay: number | undefined;
  rotateBefore: number | undefined;
  retention: number;
  /** `--max-queue`: the longest time a message waits before it is opened, seconds. */
  maxQueue: number | undefined;
  /** `--clock-skew`: senders' and clients' clock tolerance, seconds. */
  skew: number | undefined;
  /** The time, ms. */
  now: number;
}

/** The options of `key rotate`, parsed and checked (usage errors name the option). */
function parseRotateOptions(ctx: Context): RotateOptions {
  const identityPath = reqString(ctx, 'identity');
  // The file may have to be rewritten (replaceIdentityKey): stdin cannot be.
  if (identityPath === '-')
    throw new UsageError(
      '--identity expected the identity file, not - (stdin): key rotate may rewrite it',
      ctx.command,
    );
  const storeSpec = parseStore(ctx);
  const keystorePath = reqString(ctx, 'keystore');
  const lifetime = durationOption(ctx, 'lifetime');
  const delay = durationOption(ctx, 'propagation-delay');
  const rotateBefore = durationOption(ctx, 'rotate-before');
  const retention = durationOption(ctx, 'retention') ?? DEFAULT_RETENTION_SECONDS;
  const maxQueue = durationOption(ctx, 'max-queue');
  const skew = durationOption(ctx, 'clock-skew');
  // Before anything is opened or written; the rotator checks the same (SPEC.md §11.4).
  const minimum = minimumRetention({ maxQueueSeconds: maxQueue, clockSkewSeconds: skew });
  if (retention < minimum.seconds)
    throw new BlindwireError(
      ErrorCode.InvalidArgument,
      `"--retention" expected at least ${minimum.seconds} (${minimum.rule}), got ${retention}`,
    );
  const now = nowOption(ctx);
  assertNowNotAhead(
    Math.floor(now / 1000),
    skew ?? DEFAULT_CLOCK_SKEW,
    'a rotation step at a future time erases private keys senders still seal to',
  );
  return {
    ...{ identityPath, storeSpec, keystorePath, lifetime, delay, rotateBefore, retention },
    ...{ maxQueue, skew, now },
  };
}
