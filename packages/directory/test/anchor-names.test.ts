/**
 * Name constraints on trust anchors (SPEC.md §11.2 step 4): a relying party
 * that trusts two organisations' roots must not let one certify or revoke the
 * other's identities.
 */
import { generateIdentity } from '@blindwire/core';
import { describe, expect, it } from 'vitest';
import { outcomeOf } from '@blindwire/testkit';
import {
  certifyIdentity,
  createDirectory,
  createEncryptionKeyRecord,
  createMemoryStore,
  createRevocation,
  exportTrustAnchor,
  importTrustAnchor,
  namesCover,
  trustAnchorPublic,
  type TrustAnchorPublic,
} from '../src/index.js';
import { verifyRecordSet } from '../src/internal.js';
import { S0, T0, makeWorld, type World } from './helpers/world.js';

/** acme's root limited to acme's names, evil's root to evil's. */
function policy(w: World): TrustPolicyAnchors {
  return {
    anchors: [
      { ...trustAnchorPublic(w.anchor), names: ['spiffe://acme.example/**'] },
      { ...trustAnchorPublic(w.otherAnchor), names: ['spiffe://evil.example/**'] },
    ],
  };
}
type TrustPolicyAnchors = { anchors: TrustAnchorPublic[] };

async function directoryWith(w: World, records: Uint8Array[], trust = policy(w)) {
  const store = createMemoryStore();
  for (const r of records) await store.put(w.tool.name, r);
  return createDirectory({ store, trust, now: () => T0 });
}

describe('anchor name constraints', () => {
  it("another organisation's trusted root cannot certify our identity", async () => {
    const w = await makeWorld();
    const key = await createEncryptionKeyRecord(w.tool, w.tool.encryption, { now: T0 });
    const forged = await certifyIdentity(w.otherAnchor, w.tool, { now: T0, notBefore: S0 - 60 });
    expect(await outcomeOf((await directoryWith(w, [forged, key])).resolve(w.tool.name))).toBe(
      'ERR_KEY_UNTRUSTED',
    );
    // Without constraints, the same trusted root could (the old behaviour, still the default).
    const open = { anchors: policy(w).anchors.map(({ names: _n, ...a }) => a) };
    expect(
      (await (await directoryWith(w, [forged, key], open)).resolveRecipient(w.tool.name)).kid,
    ).toBe(w.tool.encryption.kid);
    // Our own root, within its names, certifies as before.
    const own = await certifyIdentity(w.anchor, w.tool, { now: T0, notBefore: S0 - 60 });
    expect((await (await directoryWith(w, [own, key])).resolveRecipient(w.tool.name)).kid).toBe(
      w.tool.encryption.kid,
    );
  });

  it("another organisation's root cannot revoke our keys either", async () => {
    const w = await makeWorld();
    const records = await w.recordsOf(w.tool);
    const hostile = await createRevocation(
      w.otherAnchor,
      { name: w.tool.name, kid: w.tool.encryption.kid, reason: 'compromise' },
      { now: T0 },
    );
    const d = await directoryWith(w, [...records, hostile]);
    expect((await d.resolveRecipient(w.tool.name)).kid).toBe(w.tool.encryption.kid);
    const ours = await createRevocation(
      w.anchor,
      { name: w.tool.name, kid: w.tool.encryption.kid, reason: 'compromise' },
      { now: T0 },
    );
    expect(await outcomeOf((await directoryWith(w, [...records, ours])).resolve(w.tool.name))).toBe(
      'ERR_KEY_REVOKED',
    );
  });

  it('patterns: * stays within one path segment, ** crosses them', async () => {
    const w = await makeWorld(); // tool: spiffe://acme.example/tools/payments
    const records = await w.recordsOf(w.tool);
    const only = (names: string[]) => ({ anchors: [{ ...trustAnchorPublic(w.anchor), names }] });
    const resolves = async (names: string[]) =>
      outcomeOf((await directoryWith(w, records, only(names))).resolve(w.tool.name));
    expect(await resolves(['spiffe://acme.example/tools/*'])).toBe('resolved');
    expect(await resolves(['spiffe://acme.example/*'])).toBe('ERR_KEY_UNTRUSTED');
    expect(await resolves(['spiffe://acme.example/**'])).toBe('resolved');
    expect(
      await resolves(['spiffe://other.example/**', 'spiffe://acme.example/tools/payments']),
    ).toBe('resolved');
    // SPEC.md §7.1, core's one matcher: each wildcard takes at least one character.
    expect(await resolves(['spiffe://acme.example/tools/payments*'])).toBe('ERR_KEY_UNTRUSTED');
    expect(await resolves(['spiffe://acme.example/tools/paymen*'])).toBe('resolved');
    expect(namesCover(['spiffe://acme.example/**'], 'spiffe://acme.example/')).toBe(false);
    expect(namesCover(['spiffe://acme.example/**'], 'spiffe://acme.example/x')).toBe(true);
    expect(namesCover(['spiffe://acme.example/*'], 'spiffe://acme.example/')).toBe(false);
  });

  it('only plain URIs are covered: no fragment, query, userinfo, backslash, percent, empty label, dot segment or non-ASCII', async () => {
    const w = await makeWorld();
    const partner = ['spiffe://*.partner.example/**', 'https://*.partner.example/**'];
    // Each of these is, to a URL parser, a name of acme.example, not of partner.example.
    for (const name of [
      'spiffe://acme.example#.partner.example/payments',
      'spiffe://acme.example?.partner.example/payments',
      'https://acme.example\\.partner.example/payments',
      'spiffe://acme.example@x.partner.example/payments',
      'spiffe://.partner.example/x',
      'spiffe://a..partner.example/x',
      'spiffe://x.partner.example/a%2Fb',
    ]) {
      expect(namesCover(partner, name), name).toBe(false);
    }
    for (const name of [
      'spiffe://payments.partner.example/x',
      'spiffe://eu.payments.partner.example/x/y',
      'https://api.partner.example/agents/a',
      'spiffe://x.partner.example/a.b/..c/...',
    ]) {
      expect(namesCover(partner, name), name).toBe(true);
    }
    // Dot segments resolve away in a URL parser; look-alike characters are not ASCII.
    const tools = ['spiffe://acme.example/tools/**'];
    for (const name of [
      'spiffe://acme.example/tools/../admin/root',
      'spiffe://acme.example/tools/..',
      'spiffe://acme.example/tools/./x',
      'spiffe://acme.example/tools/x/.',
      'spiffe://acme.example/tools/\u200bx',
      'spiffe://acme.example/tools\uff0fx',
    ]) {
      expect(namesCover(tools, name), name).toBe(false);
    }
    expect(namesCover(tools, 'spiffe://acme.example/tools/x')).toBe(true);
    // And through verification: a partner root cannot certify such a name.
    const id = await generateIdentity('spiffe://acme.example#.partner.example/payments');
    const cert = await certifyIdentity(w.otherAnchor, id, { now: T0, notBefore: S0 - 60 });
    const key = await createEncryptionKeyRecord(id, id.encryption, { now: T0 });
    const store = createMemoryStore();
    for (const r of [cert, key]) await store.put(id.name, r);
    const d = createDirectory({
      store,
      trust: { anchors: [{ ...trustAnchorPublic(w.otherAnchor), names: partner }] },
      now: () => T0,
    });
    expect(await outcomeOf(d.resolve(id.name))).toBe('ERR_KEY_UNTRUSTED');
    // Without constraints the name is just a name (no constraint, nothing to bypass).
    expect(namesCover(undefined, id.name)).toBe(true);
  });

  it('malformed constraints are a configuration error; the anchor file carries them', async () => {
    const w = await makeWorld();
    const records = await w.recordsOf(w.tool);
    for (const names of [
      [],
      [''],
      'spiffe://acme.example/**',
      ['spiffe://acme.example/***'],
    ] as unknown as string[][]) {
      const bad = { anchors: [{ ...trustAnchorPublic(w.anchor), names }] };
      // Refused at construction, and by verifyRecordSet's step 0.
      expect(await outcomeOf(directoryWith(w, records, bad))).toBe('ERR_INVALID_ARGUMENT');
      expect(await outcomeOf(verifyRecordSet(w.tool.name, records, bad))).toBe(
        'ERR_INVALID_ARGUMENT',
      );
    }
    const constrained = { ...w.anchor, names: ['spiffe://acme.example/**'] };
    const json = JSON.parse(JSON.stringify(exportTrustAnchor(trustAnchorPublic(constrained))));
    expect(json.names).toEqual(['spiffe://acme.example/**']);
    expect((await importTrustAnchor(json)).names).toEqual(['spiffe://acme.example/**']);
    expect(await outcomeOf(importTrustAnchor({ ...json, names: [42] }))).toBe(
      'ERR_INVALID_ARGUMENT',
    );
    const priv = JSON.parse(JSON.stringify(exportTrustAnchor(constrained, true)));
    expect((await importTrustAnchor(priv)).names).toEqual(['spiffe://acme.example/**']);
  });
});
