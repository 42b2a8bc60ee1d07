/**
 * SPEC.md §11.6 rule 5: a signing key's rank is the serial of its newest
 * verified certificate, expired or not (§11.2 step 5), and between two
 * signing keys that revoked each other for compromise the ranks decide which
 * revocation is in force. Pruning (and setting aside over the cap) keeps the
 * newest certificate of both keys, so a client sees the same standing
 * before and after: the leaked key stays revoked, the genuine one usable.
 */
import { generateIdentity } from '@blindwire/core';
import { expect, it } from 'vitest';
import { certifyIdentity, createRevocation, recordId } from '../src/index.js';
import { signingKeyStatus, verifyRecordSet } from '../src/internal.js';
import { setAsideExpired } from '../src/trust/over-cap.js';
import { planPrune } from '../src/trust/prune.js';
import { S0, makeWorld } from './helpers/world.js';

const H = 3600;

it('prune and over-cap resolution keep both keys of a mutual compromise revocation ranked as before', async () => {
  const w = await makeWorld();
  const leaked = w.tool; // an older signing key, leaked
  const genuine = await generateIdentity(w.tool.name); // the newer key
  const cert = (id: typeof leaked, notAfter: number, serial: number) =>
    certifyIdentity(w.anchor, id, { notBefore: S0 - 100, notAfter, serial });
  const revoke = (by: typeof leaked, of: typeof leaked, at: number) =>
    createRevocation(
      by.signing,
      { name: w.tool.name, kid: of.signing.kid, reason: 'compromise' },
      { now: at * 1000 },
    );
  const newest = await cert(genuine, S0 + 2 * H, 10); // short-lived: the genuine key's rank
  const records = [
    await cert(leaked, S0 + 100 * H, 5),
    await cert(genuine, S0 + 100 * H, 3), // long-lived
    newest,
    await revoke(genuine, leaked, S0 + 60), // the genuine key revokes the leaked one...
    await revoke(leaked, genuine, S0 + 120), // ...and the attacker answers in kind
  ];
  const now = S0 + 10 * H; // the newest certificate is past its not-after plus the horizon
  const standing = async (set: Uint8Array[]) => {
    const v = await verifyRecordSet(w.tool.name, set, w.policy);
    const of = (kid: string) => {
      const r = signingKeyStatus(v, kid, now, 60);
      return typeof r === 'string' ? r : 'usable';
    };
    return { genuine: of(genuine.signing.kid), leaked: of(leaked.signing.kid) };
  };
  const before = { genuine: 'usable', leaked: 'ERR_KEY_REVOKED' };
  expect(await standing(records)).toEqual(before);

  const plan = await planPrune(w.tool.name, records, w.policy, { now, horizonSeconds: H });
  const gone = new Set(plan.remove.map((r) => r.id));
  expect(gone.has(recordId(newest))).toBe(false);
  expect(await standing(records.filter((r) => !gone.has(recordId(r))))).toEqual(before);

  const kept = await setAsideExpired(w.tool.name, records, w.policy, now - 60, {});
  expect(kept.map(recordId)).toContain(recordId(newest));
  expect(await standing(kept)).toEqual(before);
});
