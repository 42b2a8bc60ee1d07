/**
 * Media types and carrier header names (SPEC.md §11c): one type per kind
 * byte, read from the prefix alone, and header names that are `bw-` prefixed
 * and lowercase.
 */
import { describe, expect, it } from 'vitest';
import { CarrierHeader, MediaType, mediaTypeOf } from '../src/binding/media-types.js';
import { open } from '../src/envelope/open.js';
import { sealResponse } from '../src/envelope/response.js';
import { exportResponseState } from '../src/envelope/response-state.js';
import { seal } from '../src/envelope/seal.js';
import { publicIdentity } from '../src/identity/identity.js';
import { sealStream } from '../src/stream/seal-stream.js';
import { NOW, cast, fastestBackend, trusted } from './helpers/fixtures.js';

const backend = fastestBackend();

async function streamBytes(s: ReturnType<typeof sealStream>): Promise<Uint8Array> {
  const writer = s.writable.getWriter();
  const read = new Response(s.readable).arrayBuffer();
  await writer.write(new Uint8Array(10));
  await writer.close();
  return new Uint8Array(await read);
}

describe('media types (SPEC.md §11c)', () => {
  it('names each kind by its prefix', async () => {
    const c = await cast(backend);
    const s = await seal('x', {
      sender: c.alice,
      recipients: publicIdentity(c.bob),
      now: NOW,
      backend,
    });
    const opened = await open(s.envelope, {
      recipient: c.bob,
      trustedSenders: trusted(c.alice),
      now: NOW,
      backend,
    });
    const reply = await sealResponse(opened, 'y', { now: NOW, backend });
    const state = await exportResponseState(s, { to: c.alice, now: NOW, backend });
    const stream = await streamBytes(
      sealStream({ sender: c.alice, recipients: publicIdentity(c.bob), now: NOW, backend }),
    );
    expect(mediaTypeOf(s.envelope)).toBe('application/vnd.blindwire.envelope');
    expect(mediaTypeOf(reply.envelope)).toBe('application/vnd.blindwire.response');
    expect(mediaTypeOf(stream)).toBe('application/vnd.blindwire.stream');
    expect(mediaTypeOf(state)).toBe('application/vnd.blindwire.response-state');
  });

  it('names nothing that is not a version 1 Blindwire object of a known kind', () => {
    const of = (...b: number[]) => mediaTypeOf(Uint8Array.from(b));
    expect(of(0x42, 0x57, 0x01)).toBeUndefined(); // short
    expect(of(0x42, 0x57, 0x02, 0x01)).toBeUndefined(); // version 2
    expect(of(0x42, 0x58, 0x01, 0x01)).toBeUndefined(); // magic
    expect(of(0x42, 0x57, 0x01, 0x10)).toBeUndefined(); // a directory record (SPEC.md §11)
    expect(of(0x42, 0x57, 0x01, 0x04)).toBeUndefined();
    expect(mediaTypeOf('BW' as never)).toBeUndefined();
  });

  it('has one distinct type per kind and bw- prefixed lowercase header names', () => {
    const types = Object.values(MediaType);
    expect(new Set(types).size).toBe(types.length);
    for (const t of types) expect(t).toMatch(/^application\/vnd\.blindwire\.[a-z-]+$/);
    for (const h of Object.values(CarrierHeader)) expect(h).toMatch(/^bw-[a-z-]+$/);
  });
});
