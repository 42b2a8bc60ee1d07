/**
 * A stream-mode request holds its replay reservation only for the lease: a
 * proxy that holds the upload open past it must not make the handler act
 * twice (once for a copy sent after the lease, once for the original). The
 * clock is moved by hand (only `Date` is faked), nothing waits on time.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { MediaType, createMemoryReplayStore } from '@blindwire/core';
import { createSealedHandler, sealedFetch } from '../src/index.js';
import { AGENT, TOOL, cast } from './helpers.js';

afterEach(() => {
  vi.useRealTimers();
});

describe('stream mode and the replay lease', () => {
  it('an original held open past the lease is refused once a copy ran', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const c = await cast();
    let entered!: () => void;
    const started = new Promise<void>((r) => (entered = r));
    let runs = 0;
    const handler = createSealedHandler({
      recipient: c.tool.encryption,
      resolveSender: c.resolveSigningKey,
      routes: [{ path: '/tools/*', allowedSenders: [AGENT] }],
      identity: c.tool,
      resolveRecipient: c.resolveRecipient,
      replay: createMemoryReplayStore({ perSender: true, now: () => Date.now() }),
      replayLeaseMs: 60_000,
      handler: () => new Response('message mode'),
      streamHandler: async (call) => {
        entered();
        for await (const _ of call.body as unknown as AsyncIterable<Uint8Array>) void _;
        await call.verified;
        runs++;
        return new Response(`paid ${runs}`);
      },
    });
    let cap: { url: string; headers: Headers; bytes: Uint8Array } | undefined;
    await sealedFetch(
      async (u, init) => {
        cap = {
          url: String(u),
          headers: new Headers(init!.headers),
          bytes: new Uint8Array(await new Response(init!.body).arrayBuffer()),
        };
        return new Response(null, { status: 500 });
      },
      {
        sender: c.agent,
        to: TOOL,
        resolveRecipient: c.resolveRecipient,
        keys: c.agent.encryption,
        resolveSender: c.resolveSigningKey,
        maxMessageBytes: 16,
        chunkSize: 1024,
      },
    )('http://t/tools/upload', { method: 'POST', body: new Uint8Array(8192) }).catch(
      () => undefined,
    );
    let resume!: () => void;
    const held = new Promise<void>((r) => (resume = r));
    const slow = new ReadableStream<Uint8Array>({
      async start(ctl) {
        ctl.enqueue(cap!.bytes.slice(0, 3000));
        await held;
        ctl.enqueue(cap!.bytes.slice(3000));
        ctl.close();
      },
    });
    const first = handler(
      new Request(cap!.url, {
        method: 'POST',
        headers: cap!.headers,
        body: slow,
        duplex: 'half',
      } as RequestInit),
    );
    await started;
    vi.setSystemTime(Date.now() + 61_000);
    const copy = await handler(
      new Request(cap!.url, {
        method: 'POST',
        headers: cap!.headers,
        body: cap!.bytes as BodyInit,
      }),
    );
    expect(copy.headers.get('content-type')).toBe(MediaType.Envelope);
    resume();
    const orig = await first;
    expect(orig.headers.get('content-type')).toBe('application/problem+json');
    expect(((await orig.json()) as { code: string }).code).toBe('ERR_EXPIRED');
    expect(runs).toBe(1);
  });

  it('the client gives a stream no longer to live than the default lease', async () => {
    const c = await cast();
    let header: Uint8Array | undefined;
    await sealedFetch(
      async (_u, init) => {
        header = new Uint8Array(await new Response(init!.body).arrayBuffer());
        return new Response(null, { status: 500 });
      },
      {
        sender: c.agent,
        to: TOOL,
        resolveRecipient: c.resolveRecipient,
        keys: c.agent.encryption,
        resolveSender: c.resolveSigningKey,
        maxMessageBytes: 16,
      },
    )('http://t/tools/upload', { method: 'POST', body: new Uint8Array(64) }).catch(() => undefined);
    expect(header).toBeDefined();
    // Opened with a clock 301 s ahead, the stream has expired.
    const handler = createSealedHandler({
      recipient: c.tool.encryption,
      resolveSender: c.resolveSigningKey,
      routes: [{ path: '/tools/*', allowedSenders: [AGENT] }],
      identity: c.tool,
      resolveRecipient: c.resolveRecipient,
      now: () => Date.now() + (301 + 60) * 1000,
      handler: () => new Response('m'),
      streamHandler: () => new Response('s'),
    });
    const res = await handler(
      new Request('http://t/tools/upload', {
        method: 'POST',
        headers: { 'content-type': MediaType.Stream },
        body: header as BodyInit,
      }),
    );
    expect(((await res.json()) as { code: string }).code).toBe('ERR_EXPIRED');
  });
});
