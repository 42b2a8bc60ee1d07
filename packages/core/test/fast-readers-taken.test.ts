/**
 * The fixed-layout readers (wire/header-fast.ts `readCommon`, wire/inner.ts
 * `readSignedInner`) are the ones `open` takes for a common envelope: the
 * strict decoders they fall back to are wrapped in pass-through spies that
 * must stay uncalled, so a reader that always fell back (correct, but the
 * open-side speed of issue 14 lost) fails here. The same spies must see the
 * envelopes that are not of the fixed layout.
 */
import { beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import type * as Cbor from '../src/wire/cbor.js';
import type * as Header from '../src/wire/header.js';
import { open } from '../src/envelope/open.js';
import { seal } from '../src/envelope/seal.js';
import { generateIdentity, publicIdentity, type Identity } from '../src/identity/identity.js';
import { DEFAULT_LIMITS } from '../src/limits.js';
import { encodeInner, readSignedInner, type Padding } from '../src/wire/inner.js';
import { NOW, cast, fastestBackend, trusted, type Cast } from './helpers/fixtures.js';

const spies = vi.hoisted(() => ({ strictHeader: 0, strictCbor: 0 }));

vi.mock('../src/wire/header.js', async (importOriginal) => {
  const m = await importOriginal<typeof Header>();
  return {
    ...m,
    decodeMessageHeader: (...a: Parameters<typeof m.decodeMessageHeader>) => {
      spies.strictHeader++;
      return m.decodeMessageHeader(...a);
    },
  };
});

// The strict inner decoder (`decodeInnerStrict`) reads the meta map with `decodeCborPrefix`.
vi.mock('../src/wire/cbor.js', async (importOriginal) => {
  const m = await importOriginal<typeof Cbor>();
  return {
    ...m,
    decodeCborPrefix: (...a: Parameters<typeof m.decodeCborPrefix>) => {
      spies.strictCbor++;
      return m.decodeCborPrefix(...a);
    },
  };
});

const backend = fastestBackend();
const paddings: (Padding | undefined)[] = [undefined, 'padme', { blockSize: 64 }];
let c: Cast;
let accented: Identity;

beforeAll(async () => {
  c = await cast(backend);
  accented = await generateIdentity('spiffe://é.example/agents/planner', { backend });
});

beforeEach(() => {
  spies.strictHeader = 0;
  spies.strictCbor = 0;
});

/** `body` sealed by `sender` to bob with `extra`, opened by bob: the payload and the spies' counts. */
async function roundTrip(sender: Identity, extra: Record<string, unknown>) {
  const { envelope } = await seal('hello', {
    sender,
    recipients: publicIdentity(c.bob),
    now: NOW,
    backend,
    ...extra,
  });
  spies.strictHeader = 0;
  spies.strictCbor = 0;
  const opened = await open(envelope, {
    recipient: c.bob,
    trustedSenders: [publicIdentity(sender)],
    now: NOW,
    backend,
  });
  expect(new TextDecoder().decode(opened.payload)).toBe('hello');
  return { header: spies.strictHeader, inner: spies.strictCbor };
}

describe('open takes the fixed-layout readers for a common envelope', () => {
  it('never calls the strict header or inner decoder for one recipient, any padding or content type', async () => {
    for (const padding of paddings) {
      for (const contentType of [undefined, 'application/json']) {
        const extra: Record<string, unknown> = { padding };
        if (contentType) extra.contentType = contentType;
        expect(await roundTrip(c.alice, extra)).toEqual({ header: 0, inner: 0 });
      }
    }
  });

  it('falls back to the strict decoders outside the fixed layout (the spies see it)', async () => {
    // A non-ASCII sender name: the inner record goes to the strict decoder.
    expect(await roundTrip(accented, {})).toEqual({ header: 0, inner: 1 });
    // Claims: the header goes to the strict decoder.
    const counts = await roundTrip(c.alice, { claims: { tenant: 'acme' } });
    expect(counts.header).toBe(1);
    // Two recipients: the header too.
    const { envelope } = await seal('hello', {
      sender: c.alice,
      recipients: [publicIdentity(c.bob), publicIdentity(c.carol)],
      now: NOW,
      backend,
    });
    spies.strictHeader = 0;
    await open(envelope, { recipient: c.bob, trustedSenders: trusted(c.alice), now: NOW, backend });
    expect(spies.strictHeader).toBe(1);
  });
});

describe('readSignedInner (SPEC.md §4.2)', () => {
  const rec = {
    senderKid: new Uint8Array(16).fill(7),
    signature: new Uint8Array(64).fill(9),
    body: new TextEncoder().encode('a body of some bytes'),
  };

  it('reads every canonical signed record with an ASCII sender, each padding', () => {
    for (const padding of paddings) {
      const p = encodeInner({ ...rec, sender: 'spiffe://acme.example/agents/planner' }, padding);
      const r = readSignedInner(p, DEFAULT_LIMITS);
      expect(r).toBeDefined();
      expect(r!.sender).toBe('spiffe://acme.example/agents/planner');
      expect(r!.body).toEqual(rec.body);
    }
  });

  it('leaves a non-ASCII sender to the strict decoder', () => {
    for (const padding of paddings) {
      const p = encodeInner({ ...rec, sender: 'spiffe://é.example/agents/planner' }, padding);
      expect(readSignedInner(p, DEFAULT_LIMITS)).toBeUndefined();
    }
  });
});
