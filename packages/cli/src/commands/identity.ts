/**
 * `blindwire identity create`: a new identity (a URI name, an Ed25519 signing
 * key and a first encryption key, X25519 or with --pq the post-quantum hybrid
 * X-Wing, SPEC.md §10, §5.4), certified by a trust
 * anchor. The identity file is written (mode 0600) before anything is
 * published, so no key is ever published whose private half was not saved.
 */
import { exportIdentity, exportPublicIdentity, generateIdentity } from '@blindwire/core';
import {
  DEFAULT_CERTIFICATE_SECONDS,
  DEFAULT_KEY_SECONDS,
  certifyIdentity,
  createEncryptionKeyRecord,
} from '@blindwire/directory';
import { flag, reqString, type CommandSpec } from '../args.js';
import { assertWritable, writeOutput } from '../files.js';
import { printJson, println } from '../io.js';
import { assertAnchorCovers, loadSigningAnchor, wipeIdentity } from '../secrets.js';
import { openStore, parseStore, type OpenStore } from '../stores.js';
import {
  FORCE_OPTION,
  NOW_OPTION,
  STORE_OPTION,
  durationOption,
  isoSeconds,
  nowOption,
} from '../values.js';

export const identityCreate: CommandSpec = {
  name: 'identity create',
  summary: 'Create an identity, certify it with a trust anchor and publish it.',
  usage:
    'NAME --anchor FILE --out FILE [--pq] [--store STORE] [--key-lifetime S] [--cert-lifetime S] [--now TIME] [--force]',
  description: [
    'NAME is a URI, for example spiffe://acme.example/agents/planner. The anchor certifies the new signing key; ' +
      'the certificate and a first encryption-key record are published to the store. The identity file, private keys included, ' +
      'is written with mode 0600. The public identity is printed as JSON.',
    'With --pq the encryption key is X-Wing (ML-KEM-768 + X25519, a post-quantum hybrid): senders seal to it with the ' +
      'X-Wing suite, and key rotate keeps it. Without, it is X25519.',
  ],
  positionals: { name: 'NAME', min: 1, max: 1 },
  options: {
    anchor: {
      type: 'string',
      value: 'FILE',
      description: 'The trust anchor file with its private key. Required.',
    },
    out: {
      type: 'string',
      short: 'o',
      value: 'FILE',
      description: 'Where to write the identity with its private keys (mode 0600). Required.',
    },
    pq: {
      type: 'boolean',
      description:
        'Make the encryption key X-Wing (post-quantum hybrid, ML-KEM-768 + X25519) instead of X25519.',
    },
    store: STORE_OPTION,
    'key-lifetime': {
      type: 'string',
      value: 'S',
      description: `Lifetime of the first encryption key, seconds (or 12h, 1d...). Default ${DEFAULT_KEY_SECONDS}.`,
    },
    'cert-lifetime': {
      type: 'string',
      value: 'S',
      description: `Lifetime of the identity certificate, seconds (or 365d...). Default ${DEFAULT_CERTIFICATE_SECONDS}.`,
    },
    now: NOW_OPTION,
    force: FORCE_OPTION,
  },
  examples: [
    'blindwire identity create spiffe://acme.example/agents/planner --anchor anchor.json --out planner.json --store file:./directory.json',
    'blindwire identity create spiffe://acme.example/tools/payments --pq --anchor anchor.json --out payments.json --store file:./directory.json',
  ],
  async run(ctx) {
    const name = ctx.positionals[0]!;
    const storeSpec = parseStore(ctx);
    const anchorPath = reqString(ctx, 'anchor');
    const out = reqString(ctx, 'out');
    const force = flag(ctx, 'force');
    const keyLifetime = durationOption(ctx, 'key-lifetime') ?? DEFAULT_KEY_SECONDS;
    const certLifetime = durationOption(ctx, 'cert-lifetime') ?? DEFAULT_CERTIFICATE_SECONDS;
    const now = nowOption(ctx);
    const nowS = Math.floor(now / 1000);
    await assertWritable(ctx.io, out, { force, what: '--out' });
    const anchor = await loadSigningAnchor(ctx, anchorPath);
    try {
      assertAnchorCovers(anchor, name);
    } catch (e) {
      anchor.privateKey.fill(0);
      throw e;
    }
    let opened: OpenStore | undefined;
    let identity;
    try {
      opened = await openStore(ctx, storeSpec);
      identity = await generateIdentity(name, { kem: flag(ctx, 'pq') ? 'X-Wing' : 'X25519' });
      const certificate = await certifyIdentity(anchor, identity, {
        now,
        notAfter: nowS + certLifetime,
      });
      const keyRecord = await createEncryptionKeyRecord(identity, identity.encryption, {
        now,
        notAfter: nowS + keyLifetime,
      });
      await writeOutput(ctx.io, out, JSON.stringify(exportIdentity(identity), null, 2) + '\n', {
        mode: 0o600,
        force,
        what: '--out',
      });
      try {
        await opened.store.put(name, certificate);
        await opened.store.put(name, keyRecord);
      } catch (e) {
        println(
          ctx.io.stderr,
          `note: ${out} was written, but its records were not published; run again with --force`,
        );
        throw e;
      }
      println(
        ctx.io.stderr,
        `published certificate (signing kid ${identity.signing.kid}, until ${isoSeconds(nowS + certLifetime)}) and ` +
          `${identity.encryption.publicKey.length === 32 ? 'X25519' : 'X-Wing'} encryption key ${identity.encryption.kid} (until ${isoSeconds(nowS + keyLifetime)}) to ${opened.label}`,
      );
      printJson(ctx.io.stdout, exportPublicIdentity(identity));
      return 0;
    } finally {
      anchor.privateKey.fill(0);
      wipeIdentity(identity);
      await opened?.close();
    }
  },
};
