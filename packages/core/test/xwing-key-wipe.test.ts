/**
 * Expanded X-Wing keys (SPEC.md §5.4) stay on the wipe path: importing an
 * identity expands its seed once, against the identity's own key array (the
 * first decapsulation expands nothing more), a mismatching identity leaves no
 * expanded key behind, and concurrent first decapsulations share one
 * expansion. ML-KEM key expansion is counted through a wrapped `keygen`.
 */
// X-Wing is opt-in where src/ is imported (the Node entry points register it).
import '../src/xwing.js';
import type * as MlKem from '@noble/post-quantum/ml-kem.js';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { expectCode } from '@blindwire/testkit';

const counts = vi.hoisted(() => ({ keygen: 0 }));
vi.mock('@noble/post-quantum/ml-kem.js', async (importOriginal) => {
  const m = await importOriginal<typeof MlKem>();
  const keygen = m.ml_kem768.keygen;
  return {
    ...m,
    ml_kem768: {
      ...m.ml_kem768,
      keygen: (seed?: Uint8Array) => {
        counts.keygen++;
        return keygen(seed);
      },
    },
  };
});

import { open } from '../src/envelope/open.js';
import { seal } from '../src/envelope/seal.js';
import {
  exportIdentity,
  generateIdentity,
  importIdentity,
  publicIdentity,
  type Identity,
} from '../src/identity/identity.js';
import { NOW, fastestBackend } from './helpers/fixtures.js';

const backend = fastestBackend();
let alice: Identity;
let bob: Identity;
beforeAll(async () => {
  alice = await generateIdentity('spiffe://acme.example/alice', { backend });
  bob = await generateIdentity('spiffe://acme.example/bob', { kem: 'X-Wing', backend });
});

const trust = (id: Identity) => () => id.signing;

describe('expanded X-Wing keys', () => {
  it('importIdentity expands the seed once, against the imported key: opening expands nothing more', async () => {
    const json = exportIdentity(bob);
    const s = await seal('hi', {
      sender: alice,
      recipients: publicIdentity(bob),
      now: NOW,
      backend,
    });
    counts.keygen = 0;
    const imported = await importIdentity(json, { backend });
    expect(counts.keygen).toBe(1);
    const o = await open(s.envelope, {
      recipient: imported,
      resolveSender: trust(alice),
      now: NOW,
      backend,
    });
    expect(new TextDecoder().decode(o.payload)).toBe('hi');
    expect(counts.keygen).toBe(1);
  });

  it('concurrent first decapsulations with one key share one expansion', async () => {
    const imported = await importIdentity(exportIdentity(bob), { backend });
    const s = await seal('hi', {
      sender: alice,
      recipients: publicIdentity(bob),
      now: NOW,
      backend,
    });
    // A fresh private-key array: nothing cached for it yet.
    const fresh = {
      ...imported,
      encryption: { ...imported.encryption, privateKey: imported.encryption.privateKey.slice() },
    } as Identity;
    counts.keygen = 0;
    await Promise.all(
      [0, 1, 2].map(() =>
        open(s.envelope, { recipient: fresh, resolveSender: trust(alice), now: NOW, backend }),
      ),
    );
    expect(counts.keygen).toBe(1);
  });

  it('an identity whose X-Wing seed does not match its public key is refused', async () => {
    const other = await generateIdentity('spiffe://acme.example/bob', { kem: 'X-Wing', backend });
    const json = exportIdentity(bob) as { encryption: { secret: string } };
    const wrong = {
      ...json,
      encryption: {
        ...json.encryption,
        secret: (exportIdentity(other) as typeof json).encryption.secret,
      },
    };
    await expectCode(importIdentity(wrong, { backend }), 'ERR_INVALID_ARGUMENT');
  });
});
