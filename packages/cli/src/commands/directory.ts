/**
 * `blindwire directory publish`, `resolve` and `prune`: put signed records
 * into a store, read an identity's keys back the way a sender does, through
 * the one verification path (SPEC.md §11.2): chained to a trust anchor or a
 * pinned key, in their validity windows, not revoked; and remove the records
 * no client can still need (SPEC.md §11.6).
 */
import { toBase64url } from '@blindwire/core';
import { createDirectory, pruneIdentity } from '@blindwire/directory';
import { flag, type CommandSpec } from '../args.js';
import { decodeBinaryList, readInput } from '../files.js';
import { printJson, println } from '../io.js';
import { describeRecord, publishRecord, recordLine } from '../records.js';
import { openStore, parseStore } from '../stores.js';
import { TRUST_OPTIONS, resolving, trustPolicy } from '../trust.js';
import {
  DEFAULT_CLOCK_SKEW,
  JSON_OPTION,
  NOW_OPTION,
  STORE_OPTION,
  assertNowNotAhead,
  countOption,
  durationOption,
  isoSeconds,
  nowOption,
} from '../values.js';

export const directoryPublish: CommandSpec = {
  name: 'directory publish',
  summary: 'Publish signed records (certificates, key records, revocations) to a store.',
  usage: '--store STORE FILE... [--json]',
  description: [
    'Each FILE (or - for stdin) holds one record as raw bytes, or records as base64url or hex text separated by whitespace. ' +
      'Records are filed under the identity they name; the store is untrusted, readers verify every record.',
  ],
  positionals: { name: 'FILE...', min: 1, max: Infinity },
  options: { store: STORE_OPTION, json: JSON_OPTION },
  examples: ['blindwire directory publish --store redis://127.0.0.1:6379 revocation.b64'],
  async run(ctx) {
    const storeSpec = parseStore(ctx);
    const records: Uint8Array[] = [];
    for (const file of ctx.positionals)
      records.push(...decodeBinaryList(await readInput(ctx.io, file, file), file));
    const opened = await openStore(ctx, storeSpec);
    try {
      const published = [];
      for (const r of records) published.push(describeRecord(await publishRecord(opened.store, r)));
      if (flag(ctx, 'json')) printJson(ctx.io.stdout, published);
      else {
        for (const d of published) println(ctx.io.stdout, `published ${recordLine(d)}`);
        println(
          ctx.io.stdout,
          `${published.length} record${published.length === 1 ? '' : 's'} published to ${opened.label}`,
        );
      }
      return 0;
    } finally {
      await opened.close();
    }
  },
};

export const directoryResolve: CommandSpec = {
  name: 'directory resolve',
  summary: "Resolve an identity's verified encryption keys, newest first.",
  usage: 'NAME --store STORE --anchor FILE [--pin FILE] [--clock-skew S] [--now TIME] [--json]',
  description: [
    'Prints the keys a sender may seal to; the first is the one senders use. Fails (exit 1) with the error code ' +
      'when there is none: ERR_KEY_NOT_FOUND, ERR_KEY_REVOKED, ERR_EXPIRED, ERR_KEY_UNTRUSTED...',
  ],
  positionals: { name: 'NAME', min: 1, max: 1 },
  options: { store: STORE_OPTION, ...TRUST_OPTIONS, now: NOW_OPTION, json: JSON_OPTION },
  examples: [
    'blindwire directory resolve spiffe://acme.example/agents/planner --store file:./directory.json --anchor anchor-public.json',
  ],
  async run(ctx) {
    const name = ctx.positionals[0]!;
    const storeSpec = parseStore(ctx);
    const now = nowOption(ctx);
    const trust = await trustPolicy(ctx);
    const opened = await openStore(ctx, storeSpec);
    const directory = createDirectory({ store: opened.store, trust, now: () => now });
    try {
      const keys = (await resolving(opened, name, () => directory.resolve(name))).map((k) => ({
        kid: k.kid,
        publicKey: toBase64url(k.publicKey),
        aead: k.aead,
        kem: k.kem,
        notBefore: k.notBefore,
        notAfter: k.notAfter,
        serial: k.serial,
      }));
      if (flag(ctx, 'json')) {
        printJson(ctx.io.stdout, { name, keys });
        return 0;
      }
      println(
        ctx.io.stdout,
        `${name}: ${keys.length} usable encryption key${keys.length === 1 ? '' : 's'}`,
      );
      // Senders seal to the newest X-Wing key when there is one, else the newest (SPEC.md §11.3).
      const chosen = keys.find((k) => k.kem === 'X-Wing') ?? keys[0];
      keys.forEach((k) => {
        const mark = k === chosen ? '  (senders seal to this one)' : '';
        println(
          ctx.io.stdout,
          `  ${k.kid}  ${k.aead}  ${k.kem.padEnd(6)}  ${isoSeconds(k.notBefore)} .. ${isoSeconds(k.notAfter)}${mark}`,
        );
      });
      return 0;
    } finally {
      await directory.close();
      await opened.close();
    }
  },
};

/** The default horizon: the largest clock skew, so that no client's rollback mark refers to a pruned record. */
const DEFAULT_HORIZON = 86_400;

export const directoryPrune: CommandSpec = {
  name: 'directory prune',
  summary: 'Remove the records of identities that no client can still need.',
  usage:
    'NAME... --store STORE --anchor FILE [--pin FILE] [--horizon S] [--dry-run] [--max-records-read N] [--clock-skew S] [--now TIME] [--json]',
  description: [
    'For each NAME (stores cannot list their names), removes records past their not-after plus the horizon, ' +
      'junk and records of other names, and revocations that no longer matter, by the rules of SPEC.md §11.6: ' +
      "never a record in force, the revocation of a stored record, a signing key's compromise revocation, or the newest key record of each issuer. " +
      'Records are verified with the trust anchors as readers verify them. Safe while publishers write; ' +
      'running it again removes nothing more. A name with any number of records is read page by page.',
    'Unless --dry-run: a read-only store (http) is ERR_INVALID_ARGUMENT, and so is a --now later than this ' +
      "machine's clock plus the clock skew (a prune planned for a future time removes records clients still use).",
  ],
  positionals: { name: 'NAME...', min: 1, max: Infinity },
  options: {
    store: STORE_OPTION,
    ...TRUST_OPTIONS,
    horizon: {
      type: 'string',
      value: 'S',
      description: `How long past its not-after a record is kept (at least 3 × the clock skew: SPEC.md §11.6). Default ${DEFAULT_HORIZON} (1d).`,
    },
    'dry-run': { type: 'boolean', description: 'Print what would be removed; remove nothing.' },
    'max-records-read': {
      type: 'string',
      value: 'N',
      description:
        'Most records read for one NAME; more is ERR_LIMIT_EXCEEDED and nothing of that NAME is removed (SPEC.md §11.6). Default 100000.',
    },
    now: {
      ...NOW_OPTION,
      description: `${NOW_OPTION.description} Not past the clock plus the skew, unless --dry-run.`,
    },
    json: JSON_OPTION,
  },
  examples: [
    'blindwire directory prune spiffe://acme.example/tools/payments --store redis://127.0.0.1:6379 --anchor anchor-public.json --dry-run',
  ],
  async run(ctx) {
    const storeSpec = parseStore(ctx);
    const now = Math.floor(nowOption(ctx) / 1000);
    const horizonSeconds = durationOption(ctx, 'horizon') ?? DEFAULT_HORIZON;
    const dryRun = flag(ctx, 'dry-run');
    const maxRecordsRead = countOption(ctx, 'max-records-read');
    const trust = await trustPolicy(ctx);
    if (!dryRun)
      assertNowNotAhead(
        now,
        trust.clockSkew ?? DEFAULT_CLOCK_SKEW,
        'a prune at a future time removes records clients still use; add --dry-run to preview it',
      );
    const opened = await openStore(ctx, storeSpec);
    try {
      const results = [];
      for (const name of ctx.positionals)
        results.push(
          await pruneIdentity(opened.store, name, trust, {
            ...{ now, horizonSeconds, dryRun },
            ...(maxRecordsRead === undefined ? {} : { maxRecordsRead }),
          }),
        );
      if (flag(ctx, 'json')) {
        printJson(ctx.io.stdout, results);
        return 0;
      }
      const verb = dryRun ? 'would remove' : 'removed';
      for (const r of results) {
        for (const x of r.remove) println(ctx.io.stdout, `${verb} ${x.id}  ${x.reason}  ${r.name}`);
        println(ctx.io.stdout, `${r.name}: ${verb} ${r.remove.length}, kept ${r.kept}`);
      }
      return 0;
    } finally {
      await opened.close();
    }
  },
};
