/** A small world for directory tests: an anchor, identities, and their published records. */
import { generateIdentity, type Identity } from '@blindwire/core';
import {
  certifyIdentity,
  createEncryptionKeyRecord,
  createTrustAnchor,
  trustAnchorPublic,
  type TrustAnchor,
  type TrustPolicy,
} from '../../src/index.js';

export const T0 = Date.UTC(2026, 10, 23, 12, 0, 0);
export const S0 = Math.floor(T0 / 1000);

export interface World {
  anchor: TrustAnchor;
  otherAnchor: TrustAnchor;
  agent: Identity;
  tool: Identity;
  mallory: Identity;
  policy: TrustPolicy;
  /** Certificate + encryption-key record of an identity, valid from S0 for a day. */
  recordsOf(
    id: Identity,
    opts?: { serial?: number; notBefore?: number; notAfter?: number },
  ): Promise<Uint8Array[]>;
}

export async function makeWorld(): Promise<World> {
  const [anchor, otherAnchor, agent, tool, mallory] = await Promise.all([
    createTrustAnchor('acme.example root'),
    createTrustAnchor('evil.example root'),
    generateIdentity('spiffe://acme.example/agents/planner'),
    generateIdentity('spiffe://acme.example/tools/payments'),
    generateIdentity('spiffe://acme.example/tools/payments'), // same name, Mallory's keys
  ]);
  return {
    anchor,
    otherAnchor,
    agent,
    tool,
    mallory,
    policy: { anchors: [trustAnchorPublic(anchor)] },
    async recordsOf(id, opts = {}) {
      const nb = opts.notBefore ?? S0;
      return [
        await certifyIdentity(anchor, id, {
          now: T0,
          notBefore: S0 - 60,
          notAfter: S0 + 365 * 86_400,
          serial: 1,
        }),
        await createEncryptionKeyRecord(id, id.encryption, {
          now: T0,
          notBefore: nb,
          notAfter: opts.notAfter ?? nb + 86_400,
          serial: opts.serial ?? 1,
        }),
      ];
    },
  };
}
