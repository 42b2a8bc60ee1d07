/**
 * The prune planner and resolution over the cap against a store writer
 * (SPEC.md §11.6): a forged "newest" key record never takes the place of its
 * issuer's genuine newest one (rule 3), ties at a serial keep every tied
 * record so the plan does not depend on store order, and a record signed with
 * a key revoked for compromise never makes a revocation removable (rule 4).
 */
import { generateEncryptionKey } from '@blindwire/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { createEncryptionKeyRecord, createRevocation, recordId } from '../src/index.js';
import { setAsideExpired } from '../src/trust/over-cap.js';
import { planPrune } from '../src/trust/prune.js';
import { S0, makeWorld, type World } from './helpers/world.js';

const H = 3600;
let w: World;
beforeAll(async () => {
  w = await makeWorld();
});

/** `record` with its signature broken (the last byte flipped): it still parses. */
const forge = (record: Uint8Array) => {
  const f = Uint8Array.from(record);
  f[f.length - 1]! ^= 0x01;
  return f;
};

const removedBy = async (records: Uint8Array[], now: number) =>
  new Map(
    (await planPrune(w.tool.name, records, w.policy, { now, horizonSeconds: H })).remove.map(
      (r) => [r.id, r.reason],
    ),
  );

describe('rule 3 against forged key records (SPEC.md §11.6)', () => {
  it('a forged higher-serial record does not remove the genuine newest key record', async () => {
    const [cert, genuine] = await w.recordsOf(w.tool, {
      serial: 5,
      notBefore: S0,
      notAfter: S0 + H,
    });
    const k = await generateEncryptionKey();
    const forged = forge(
      await createEncryptionKeyRecord(w.tool, k, {
        notBefore: S0 - 2 * H,
        notAfter: S0 - H,
        serial: 999,
      }),
    );
    for (const records of [
      [cert!, genuine!, forged],
      [forged, cert!, genuine!],
    ]) {
      const removed = await removedBy(records, S0 + 10 * H);
      expect(removed.has(recordId(genuine!))).toBe(false); // the newest verified one
      expect(removed.has(recordId(forged))).toBe(false); // the newest of all
    }
  });

  it('records tied at the top serial all stay, whatever the store order', async () => {
    const [cert, genuine] = await w.recordsOf(w.tool, {
      serial: 7,
      notBefore: S0,
      notAfter: S0 + H,
    });
    const forged = forge(genuine!);
    for (const records of [
      [cert!, genuine!, forged],
      [cert!, forged, genuine!],
    ]) {
      const removed = await removedBy(records, S0 + 10 * H);
      expect(removed.has(recordId(genuine!))).toBe(false);
      expect(removed.has(recordId(forged))).toBe(false);
      // resolution over the cap keeps every record tied at the newest verified serial
      const kept = (await setAsideExpired(w.tool.name, records, w.policy, S0 + 10 * H, {})).map(
        recordId,
      );
      expect(kept).toContain(recordId(genuine!));
      expect(kept).toContain(recordId(forged));
    }
  });
});

describe('rule 4 against records signed with a compromised key (SPEC.md §11.6)', () => {
  it('a record planted with a key revoked for compromise does not make a revocation removable', async () => {
    // The tool's signing key leaked and the anchor revoked it for compromise.
    const [cert, newest] = await w.recordsOf(w.tool, {
      serial: 10,
      notBefore: S0,
      notAfter: S0 + 20 * H,
    });
    const leaked = await createRevocation(w.anchor, {
      name: w.tool.name,
      kid: w.tool.signing.kid,
      reason: 'compromise',
    });
    // The anchor also revoked encryption key K for compromise; K's own record is not stored.
    const k = await generateEncryptionKey();
    const revK = await createRevocation(w.anchor, {
      name: w.tool.name,
      kid: k.kid,
      reason: 'compromise',
    });
    const base = [cert!, newest!, leaked, revK];
    expect(await removedBy(base, S0 + 10 * H)).toEqual(new Map());
    // With the leaked key, someone plants an expired, older record for K.
    const planted = await createEncryptionKeyRecord(w.tool, k, {
      notBefore: S0 - 2 * H,
      notAfter: S0 - H,
      serial: 1,
    });
    const removed = await removedBy([...base, planted], S0 + 10 * H);
    expect(removed.get(recordId(revK))).toBeUndefined();
    expect(removed.get(recordId(planted))).toBe('expired');
    // and a self-revocation for compromise counts the same
    const self = await createRevocation(w.tool.signing, {
      name: w.tool.name,
      kid: w.tool.signing.kid,
      reason: 'compromise',
    });
    const bySelf = await removedBy([cert!, newest!, self, revK, planted], S0 + 10 * H);
    expect(bySelf.get(recordId(revK))).toBeUndefined();
  });
});
