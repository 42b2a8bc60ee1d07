/**
 * `blindwire directory get`: an identity's records as a relying party sees
 * them, verified (SPEC.md §11.2 steps 1-5) and judged at a time (steps 5-9):
 * its signing keys, its encryption keys with the status of each, the
 * revocations in force, and how many records were set aside and why. Only
 * verified records are shown; the store is untrusted.
 */
import { BlindwireError, ErrorCode, isBlindwireError, toBase64url } from '@blindwire/core';
import { RevocationReason, type TrustPolicy } from '@blindwire/directory';
import {
  revocationsAt,
  signingKeyStatus,
  usableEncryptionKeys,
  verifyRecordSet,
  type VerifiedSet,
} from '@blindwire/directory/internal';
import { flag, type CommandSpec } from '../args.js';
import { classifiedExit } from '../exit-codes.js';
import { printJson, println } from '../io.js';
import { openStore, parseStore, type OpenStore } from '../stores.js';
import { TRUST_OPTIONS, resolving, trustPolicy } from '../trust.js';
import {
  DEFAULT_CLOCK_SKEW,
  JSON_OPTION,
  NOW_OPTION,
  STORE_OPTION,
  isoSeconds,
  nowOption,
} from '../values.js';

export const directoryGet: CommandSpec = {
  name: 'directory get',
  summary: "Show an identity's verified records: signing keys, encryption keys, revocations.",
  usage: 'NAME --store STORE --anchor FILE [--pin FILE] [--clock-skew S] [--now TIME] [--json]',
  description: [
    'Reads every record stored for NAME and verifies each against the --anchor (or --pin) as senders do ' +
      '(SPEC.md §11.2); shows what verified with its status at --now, and counts what was set aside and why. ' +
      'A store with no record for NAME is ERR_KEY_NOT_FOUND (exit 4), naming the store and where it looked; ' +
      'records of which none verifies are ERR_KEY_UNTRUSTED (exit 5).',
  ],
  positionals: { name: 'NAME', min: 1, max: 1 },
  options: { store: STORE_OPTION, ...TRUST_OPTIONS, now: NOW_OPTION, json: JSON_OPTION },
  examples: [
    'blindwire directory get spiffe://acme.example/agents/planner --store file:./directory.json --anchor anchor-public.json',
  ],
  exitStatus: classifiedExit,
  async run(ctx) {
    const name = ctx.positionals[0]!;
    const storeSpec = parseStore(ctx);
    const now = Math.floor(nowOption(ctx) / 1000);
    const trust = await trustPolicy(ctx);
    const opened = await openStore(ctx, storeSpec);
    try {
      const view = await resolving(opened, name, () => verifiedView(opened, name, trust, now));
      if (flag(ctx, 'json')) printJson(ctx.io.stdout, view);
      else printView((line) => println(ctx.io.stdout, line), view);
      return 0;
    } finally {
      await opened.close();
    }
  },
};

/** What `directory get` shows; plain data for text and JSON output. */
export interface IdentityView {
  name: string;
  store: string;
  now: number;
  records: number;
  signingKeys: {
    kid: string;
    pinned: boolean;
    notBefore: number;
    notAfter: number;
    serial: number;
    status: string;
  }[];
  encryptionKeys: {
    kid: string;
    publicKey: string;
    issuerKid: string;
    notBefore: number;
    notAfter: number;
    serial: number;
    status: string;
  }[];
  revocations: { targetKid: string; reason: string; issuerKid: string; issuedAt: number }[];
  setAside: { code: string; count: number }[];
}

async function verifiedView(
  opened: OpenStore,
  name: string,
  trust: TrustPolicy,
  now: number,
): Promise<IdentityView> {
  const records = await opened.store.list(name);
  if (records.length === 0)
    throw new BlindwireError(ErrorCode.KeyNotFound, `no records published for ${name}`);
  const v = await verifyRecordSet(name, records, trust, { now });
  const skew = trust.clockSkew ?? DEFAULT_CLOCK_SKEW;
  const certified = [...v.signingKeys.values()].filter((k) => !k.pinned).length;
  const verified =
    certified + v.encryptionKeys.length + v.revocations.size + v.identityRevocations.length;
  if (verified === 0)
    throw new BlindwireError(
      ErrorCode.KeyUntrusted,
      `none of the ${records.length} records stored for ${name} verifies with the given --anchor or --pin (${setAside(
        v,
      )
        .map((s) => `${s.count} ${s.code}`)
        .join(', ')})`,
    );
  const revocations = revocationsAt(v, now, skew);
  return {
    name,
    store: opened.label,
    now,
    records: records.length,
    signingKeys: [...v.signingKeys.values()].map((k) => {
      const s = signingKeyStatus(v, k.kid, now, skew, revocations);
      return {
        kid: k.kid,
        pinned: k.pinned,
        notBefore: k.notBefore,
        notAfter: k.notAfter,
        serial: k.serial,
        status: typeof s === 'string' ? s : 'usable',
      };
    }),
    encryptionKeys: encryptionKeys(v, now, trust),
    revocations: [...revocations.values()].map((r) => ({
      targetKid: r.targetKid,
      reason: r.reason === RevocationReason.Compromise ? 'compromise' : 'superseded',
      issuerKid: r.issuerKid,
      issuedAt: r.issuedAt,
    })),
    setAside: setAside(v),
  };
}

/**
 * Each verified encryption key, newest first, with its status at `now`:
 * `newest` (what senders seal to), `usable`, or the code that rules it out
 * (SPEC.md §11.2 steps 6-9).
 */
function encryptionKeys(
  v: VerifiedSet,
  now: number,
  trust: TrustPolicy,
): IdentityView['encryptionKeys'] {
  let usable: string[] = [];
  try {
    usable = usableEncryptionKeys(v, now, trust).map((k) => k.kid);
  } catch (e) {
    if (!isBlindwireError(e)) throw e; // none usable: each gets its own code below
  }
  const codes = statusCodes(v, now, trust);
  return [...v.encryptionKeys]
    .sort((a, b) => b.serial - a.serial || b.notBefore - a.notBefore)
    .map((r) => ({
      kid: r.kid,
      publicKey: toBase64url(r.publicKey),
      issuerKid: r.issuerKid,
      notBefore: r.notBefore,
      notAfter: r.notAfter,
      serial: r.serial,
      status:
        usable[0] === r.kid
          ? 'newest'
          : usable.includes(r.kid)
            ? 'usable'
            : (codes.get(r.kid) ?? 'unusable'),
    }));
}

/** Why each encryption key is not usable: its issuer, a revocation, or its window. */
function statusCodes(v: VerifiedSet, now: number, trust: TrustPolicy): Map<string, string> {
  const skew = trust.clockSkew ?? DEFAULT_CLOCK_SKEW;
  const revocations = revocationsAt(v, now, skew);
  const out = new Map<string, string>();
  for (const r of v.encryptionKeys) {
    const issuer = signingKeyStatus(v, r.issuerKid, now, skew, revocations);
    if (typeof issuer === 'string') out.set(r.kid, `${issuer} (issuer ${r.issuerKid})`);
    else if (revocations.has(r.kid)) out.set(r.kid, ErrorCode.KeyRevoked);
    else if (r.notBefore > now) out.set(r.kid, ErrorCode.NotYetValid);
    else if (r.notAfter + skew < now) out.set(r.kid, ErrorCode.Expired);
    else out.set(r.kid, ErrorCode.UnsupportedSuite);
  }
  return out;
}

/** Records that did not verify, counted by code. */
function setAside(v: VerifiedSet): IdentityView['setAside'] {
  const counts = new Map<string, number>();
  for (const f of v.failures) counts.set(f.code, (counts.get(f.code) ?? 0) + 1);
  return [...counts].map(([code, count]) => ({ code, count }));
}

function printView(out: (line: string) => void, v: IdentityView): void {
  const window = (a: number, b: number) => `${isoSeconds(a)} .. ${isoSeconds(b)}`;
  out(
    `${v.name}: ${v.records} record${v.records === 1 ? '' : 's'} in ${v.store}, as of ${isoSeconds(v.now)}`,
  );
  out('signing keys:');
  for (const k of v.signingKeys)
    out(
      `  ${k.kid}  ${k.pinned ? 'pinned' : `certified ${window(k.notBefore, k.notAfter)}`}  ${k.status}`,
    );
  out('encryption keys (newest first):');
  if (v.encryptionKeys.length === 0) out('  (none)');
  for (const k of v.encryptionKeys) {
    const note = k.status === 'newest' ? 'newest: senders seal to this one' : k.status;
    out(`  ${k.kid}  ${window(k.notBefore, k.notAfter)}  ${note}`);
  }
  if (v.revocations.length > 0) out('revocations in force:');
  for (const r of v.revocations)
    out(`  ${r.targetKid}  ${r.reason}  by ${r.issuerKid}  ${isoSeconds(r.issuedAt)}`);
  for (const s of v.setAside)
    out(`set aside: ${s.count} record${s.count === 1 ? '' : 's'} (${s.code})`);
}
