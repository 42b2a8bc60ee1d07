/**
 * A delivered message answers as the `open` result it came from (SPEC.md
 * §6.4, §7b): `sealResponse(delivered)` seals a response the requester opens
 * with `openResponse`; a plain object copy of it is not a request.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { createConsumer } from '../src/consume/consumer.js';
import type { Delivered } from '../src/consume/consumer-options.js';
import { createMemoryReplayStore } from '../src/envelope/memory-replay-store.js';
import { openResponse, sealResponse } from '../src/envelope/response.js';
import { sealedResponseSize } from '../src/envelope/sealed-size.js';
import { seal } from '../src/envelope/seal.js';
import { NOW, cast, fastestBackend, trusted, type Cast } from './helpers/fixtures.js';

const backend = fastestBackend();
let c: Cast;
beforeAll(async () => {
  c = await cast(backend);
});
const ctx = (d: string) => `blindwire/test/v1 ${d}`;

describe('createConsumer: a delivered request', () => {
  it('is answered with sealResponse, and the requester opens the answer', async () => {
    const request = await seal('question', {
      sender: c.alice,
      recipients: c.bob,
      context: ctx('q/ask'),
      now: NOW,
      backend,
    });
    let answer: Uint8Array | undefined;
    let size = 0;
    let copyRefused: unknown;
    const k = createConsumer({
      recipient: c.bob,
      trustedSenders: trusted(c.alice),
      policy: [{ match: 'q/*' }],
      context: ctx,
      replay: createMemoryReplayStore({ now: () => NOW }),
      now: () => NOW,
      backend,
      handler: async (m: Delivered) => {
        size = sealedResponseSize(m, 'answer', { now: NOW });
        answer = (await sealResponse(m, 'answer', { now: NOW, backend })).envelope;
        copyRefused = await sealResponse({ ...m }, 'x', { now: NOW, backend }).catch(
          (e: unknown) => e,
        );
      },
    });
    const d = await k.process({ bytes: request.envelope, destination: 'q/ask', attempt: 1 });
    expect(d.action).toBe('ack');
    expect(answer).toBeDefined();
    expect(answer!.length).toBe(size);
    const opened = await openResponse(request, answer!, { now: NOW, backend });
    expect(new TextDecoder().decode(opened.payload)).toBe('answer');
    expect(copyRefused).toMatchObject({ code: 'ERR_INVALID_ARGUMENT' });
  });
});
