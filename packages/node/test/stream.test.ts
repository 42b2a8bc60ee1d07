/**
 * The Node adapters of the streaming mode (src/stream.ts, SPEC.md §7a):
 * `sealStreamNode` / `openStreamNode` as Duplexes in `pipeline()` with files,
 * and their failures reaching both the pipeline and the result, after
 * releasing exactly what core's WHATWG `openStream` releases.
 */
import {
  createReadStream,
  createWriteStream,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { afterAll, describe, expect, it } from 'vitest';
import { openStream } from '@blindwire/core';
import { nodeBackend } from '@blindwire/core/backend/node';
import { openStreamNode, sealStreamNode } from '../src/stream.js';
import { NOW, cast, trusted } from './helpers/fixtures.js';

const backend = nodeBackend;
const dir = mkdtempSync(join(tmpdir(), 'blindwire-stream-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('streams: Node adapters', () => {
  it('seal and open files through pipeline()', async () => {
    const { alice, bob } = await cast(backend);
    const body = Buffer.alloc(3 * 1024 * 1024 + 17);
    for (let i = 0; i < body.length; i++) body[i] = (i * 7) & 0xff;
    writeFileSync(join(dir, 'in'), body);
    const s = sealStreamNode({ sender: alice, recipients: bob, backend, now: NOW });
    await pipeline(
      createReadStream(join(dir, 'in')),
      s.duplex,
      createWriteStream(join(dir, 'sealed')),
    );
    expect((await s.result).bodyBytes).toBe(body.length);
    const o = openStreamNode({ recipient: bob, trustedSenders: trusted(alice), backend, now: NOW });
    await pipeline(
      createReadStream(join(dir, 'sealed')),
      o.duplex,
      createWriteStream(join(dir, 'out')),
    );
    expect((await o.result).sender).toBe(alice.name);
    expect(Buffer.compare(readFileSync(join(dir, 'out')), body)).toBe(0);
  });

  it('a tampered stream rejects the pipeline and the result with ERR_OPEN_FAILED', async () => {
    const { alice, bob } = await cast(backend);
    const s = sealStreamNode({ sender: alice, recipients: bob, backend, now: NOW });
    const parts: Buffer[] = [];
    await pipeline(
      Readable.from([Buffer.alloc(200_000, 1)]),
      s.duplex,
      new Writable({
        write(c: Buffer, _e, cb) {
          parts.push(c);
          cb();
        },
      }),
    );
    const sealed = Buffer.concat(parts);
    sealed[sealed.length - 100]! ^= 1;
    const o = openStreamNode({ recipient: bob, trustedSenders: trusted(alice), backend, now: NOW });
    let released = 0;
    await expect(
      pipeline(
        Readable.from([sealed]),
        o.duplex,
        new Writable({
          write(c: Buffer, _e, cb) {
            released += c.length;
            cb();
          },
        }),
      ),
    ).rejects.toMatchObject({ code: 'ERR_OPEN_FAILED' });
    await expect(o.result).rejects.toMatchObject({ code: 'ERR_OPEN_FAILED' });
    // The chunks that verified went out, the final one, which the flip hit,
    // was withheld: exactly what core's WHATWG opener releases of these bytes.
    const web = openStream({ recipient: bob, trustedSenders: trusted(alice), backend, now: NOW });
    let webReleased = 0;
    const drained = web.readable.pipeTo(
      new WritableStream({ write: (chunk) => void (webReleased += chunk.length) }),
    );
    const fed = new Blob([sealed]).stream().pipeTo(web.writable);
    const piped = await Promise.allSettled([drained, fed]);
    expect(piped.map((p) => p.status)).toEqual(['rejected', 'rejected']);
    await expect(web.result).rejects.toMatchObject({ code: 'ERR_OPEN_FAILED' });
    expect(released).toBe(webReleased);
    expect(released).toBeGreaterThan(2 * 65536); // chunks 0-2, less the meta record
    expect(released).toBeLessThan(3 * 65536);
  });
});
