/**
 * Stream sealing through the node backend's synchronous twin (backend/sync.ts)
 * gives the bytes of the async path (SPEC.md §7a.2-§7a.4). The twin's records
 * are allocated unzeroed; here its allocations are filled with 0xEE, so a
 * byte the sync path forgets to write differs from the async path's (whose
 * records start zeroed). Same ephemeral key and message id on every path, so
 * the streams compare byte for byte: the twin, node's async `aeadSealParts`,
 * node without `aeadSealParts` (the concat fallback of aeadSealInto), pure.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { nodeBackend } from '../src/backend/node.js';
import { pureBackend } from '../src/backend/pure.js';
import { setSyncPrimitives, syncPrimitivesOf } from '../src/backend/sync.js';
import type { CryptoBackend, X25519KeyPair } from '../src/backend/types.js';
import { equalBytes } from '../src/bytes.js';
import type { AeadName } from '../src/wire/suites.js';
import { NOW, cast, trusted, type Cast } from './helpers/fixtures.js';
import { body, openAll, sealAll } from './helpers/streams.js';

const node = syncPrimitivesOf(nodeBackend)!;
const MESSAGE_ID = new Uint8Array(16).fill(0x42);
let c: Cast;
let ephemeral: X25519KeyPair;

beforeAll(async () => {
  c = await cast(nodeBackend);
  const privateKey = new Uint8Array(32).fill(0x17);
  ephemeral = { privateKey, publicKey: await nodeBackend.x25519PublicKey(privateKey) };
});

/** `base` drawing the fixed ephemeral key (a fresh copy: the seal wipes the private half). */
function fixed(base: CryptoBackend): CryptoBackend {
  return {
    ...base,
    x25519GenerateKeyPair: async () => ({
      privateKey: ephemeral.privateKey.slice(),
      publicKey: ephemeral.publicKey.slice(),
    }),
  };
}

/** A copy of node with the twin, whose allocations are filled with 0xEE; counts them. */
function twinned() {
  const counts = { allocations: 0 };
  const backend = fixed(nodeBackend);
  setSyncPrimitives(backend, {
    ...node,
    allocate: (length) => {
      counts.allocations++;
      return node.allocate(length).fill(0xee);
    },
  });
  return { backend, counts };
}

function withoutSealParts(): CryptoBackend {
  const b = fixed(nodeBackend);
  delete b.aeadSealParts;
  return b;
}

/** `data` cut into writes of the sizes in `sizes`, cycled. */
function writes(data: Uint8Array, sizes: readonly number[]): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let off = 0, i = 0; off < data.length; i++) {
    const n = Math.min(sizes[i % sizes.length]!, data.length - off);
    out.push(data.subarray(off, off + n));
    off += n;
  }
  return out;
}

const CASES: { aead: AeadName; chunkSize: number; lengths: number[] }[] = [
  { aead: 'AES-256-GCM', chunkSize: 1024, lengths: [0, 1, 824, 1024, 3000, 5137] },
  { aead: 'AES-128-GCM', chunkSize: 1024, lengths: [0, 1, 824, 1024, 3000, 5137] },
  { aead: 'ChaCha20-Poly1305', chunkSize: 1024, lengths: [0, 1, 824, 1024, 3000, 5137] },
  { aead: 'AES-256-GCM', chunkSize: 64 * 1024, lengths: [0, 70_000, 3 * 65_536 + 5] },
  { aead: 'ChaCha20-Poly1305', chunkSize: 64 * 1024, lengths: [1, 70_000, 3 * 65_536 + 5] },
];
const SPLITS = [[1, 333, 1024, 4096, 7], [Number.MAX_SAFE_INTEGER]];

describe('stream sealing through the synchronous twin', () => {
  it('the twin is taken: a copy of node with a registered twin allocates through it', async () => {
    const t = twinned();
    await sealAll(
      { sender: c.alice, recipients: c.bob, backend: t.backend, now: NOW, chunkSize: 1024 },
      [body(5000)],
    );
    expect(t.counts.allocations).toBeGreaterThanOrEqual(5); // one per chunk record
  });

  describe.each(CASES)('$aead, chunks of $chunkSize bytes', ({ aead, chunkSize, lengths }) => {
    it.each(lengths)(
      'a body of %i bytes: the same stream on every path, no unwritten byte',
      async (length) => {
        const data = body(length, length % 251);
        for (const split of SPLITS) {
          const seal = (backend: CryptoBackend) =>
            sealAll(
              {
                sender: c.alice,
                recipients: c.bob,
                backend,
                now: NOW,
                chunkSize,
                aead,
                messageId: MESSAGE_ID,
              },
              writes(data, split),
            );
          const t = twinned();
          const sync = await seal(t.backend);
          const records = sync.parts.length - 1;
          expect(t.counts.allocations).toBe(records);
          for (const other of [fixed(nodeBackend), withoutSealParts(), fixed(pureBackend)]) {
            const { sealed } = await seal(other);
            expect(sealed.length).toBe(sync.sealed.length);
            expect(equalBytes(sealed, sync.sealed)).toBe(true);
          }
          const opened = await openAll(
            { recipient: c.bob, trustedSenders: trusted(c.alice), backend: nodeBackend, now: NOW },
            [sync.sealed],
          );
          expect(opened.error).toBeUndefined();
          expect(equalBytes(opened.released, data)).toBe(true);
        }
      },
    );
  });
});
