/** inspect() on a stream: the prefix and header are enough, whatever follows. */
import { describe, expect, it } from 'vitest';
import { errorCode } from '@blindwire/testkit';
import { readHead } from '../src/wire/cbor.js';
import { inspect } from '../src/envelope/inspect.js';
import { publicIdentity } from '../src/identity/identity.js';
import { sealStream } from '../src/stream/seal-stream.js';
import { NOW, cast, fastestBackend } from './helpers/fixtures.js';

const backend = fastestBackend();

async function sealed(bytes: number): Promise<Uint8Array> {
  const { alice, bob, carol } = await cast(backend);
  const s = sealStream({
    sender: alice,
    recipients: [bob, carol].map(publicIdentity),
    contentType: 'application/octet-stream',
    chunkSize: 4096,
    now: NOW,
    backend,
  });
  const out: Uint8Array[] = [];
  const reading = (async () => {
    for await (const c of s.readable as unknown as AsyncIterable<Uint8Array>) out.push(c);
  })();
  const w = s.writable.getWriter();
  await w.write(new Uint8Array(bytes));
  await w.close();
  await reading;
  return Uint8Array.from(out.flatMap((c) => [...c]));
}

describe('inspect of a stream', () => {
  it('reads the public header from the whole stream or from its first bytes only', async () => {
    const all = await sealed(10_000);
    const info = inspect(all);
    expect(info).toMatchObject({
      kind: 'stream',
      chunkSize: 4096,
      contentType: 'application/octet-stream',
    });
    expect(info.recipients).toHaveLength(2);
    expect(info.suite.name).toBe('AES-256-GCM');
    const headerEnd = 4 + readHead(all, 4)[2] + info.headerBytes;
    const firstBytes = all.subarray(0, headerEnd);
    expect(inspect(firstBytes)).toMatchObject({
      kind: 'stream',
      messageId: info.messageId,
      chunkSize: 4096,
    });
  });

  it('rejects a truncated header, a bad version and an oversized header with exact codes', async () => {
    const all = await sealed(10);
    const info = inspect(all);
    const headerEnd = 4 + readHead(all, 4)[2] + info.headerBytes;
    expect(await errorCode(async () => inspect(all.subarray(0, headerEnd - 1)))).toBe(
      'ERR_ENVELOPE_MALFORMED',
    );
    const v2 = all.slice();
    v2[2] = 2;
    expect(await errorCode(async () => inspect(v2))).toBe('ERR_UNSUPPORTED_VERSION');
    expect(
      await errorCode(async () =>
        inspect(all, { limits: { maxHeaderBytes: info.headerBytes - 1 } }),
      ),
    ).toBe('ERR_LIMIT_EXCEEDED');
  });
});
