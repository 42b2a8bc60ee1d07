/**
 * The replay reservation around the handler: committed after a 2xx, and what
 * happens when the commit fails. A store that fails once is tried again; a
 * store that keeps failing still lets the answer go (the handler acted: its
 * caller must learn the result), reports `commit-failed` with ERR_TRANSPORT,
 * and keeps the lease, so a copy is ERR_REPLAY_IN_FLIGHT until it ends.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  BlindwireError,
  ErrorCode,
  createMemoryReplayStore,
  type ReplayStore,
} from '@blindwire/core';
import { createSealedHandler, sealedFetch, type FetchLike, type HttpEvent } from '../src/index.js';
import { AGENT, TOOL, cast, listen, type Cast, type Running } from './helpers.js';

let c: Cast;
let app: Running;
let commitFailures = 0;
let calls = 0;
const events: HttpEvent[] = [];

/** A memory store whose next `commitFailures` commits fail. */
function flakyStore(): ReplayStore {
  const inner = createMemoryReplayStore({ perSender: true });
  return {
    reserve: (...a) => inner.reserve(...a),
    release: (...a) => inner.release(...a),
    has: (...a) => inner.has(...a),
    record: (...a) => inner.record(...a),
    commit: async (...a) => {
      if (commitFailures > 0) {
        commitFailures--;
        throw new BlindwireError(ErrorCode.Transport, 'store down');
      }
      return inner.commit(...a);
    },
  };
}

beforeAll(async () => {
  c = await cast();
  app = await listen(
    createSealedHandler({
      recipient: c.tool.encryption,
      resolveSender: c.resolveSigningKey,
      routes: [{ path: '/tools/*', allowedSenders: [AGENT] }],
      replay: flakyStore(),
      onEvent: (e) => events.push(e),
      handler: (call) => {
        calls++;
        return Response.json({ paid: call.text() });
      },
    }),
  );
});
afterAll(() => app?.close());

async function callAndCapture(body: string) {
  const sent: RequestInit[] = [];
  const rec: FetchLike = (input, init) => {
    sent.push(init!);
    return fetch(input, init);
  };
  const f = sealedFetch(rec, { sender: c.agent, to: TOOL, resolveRecipient: c.resolveRecipient });
  const res = await f(`${app.url}/tools/pay`, { method: 'POST', body });
  const replay = await fetch(`${app.url}/tools/pay`, sent[0]!);
  return { res, replay };
}

describe('the reservation after a 2xx', () => {
  it('a commit that fails once is tried again: the call is delivered, its copy ERR_REPLAY', async () => {
    commitFailures = 1;
    events.length = 0;
    const before = calls;
    const { res, replay } = await callAndCapture('once');
    expect(await res.json()).toEqual({ paid: 'once' });
    expect(events[0]).toMatchObject({ outcome: 'delivered', status: 200 });
    expect(replay.status).toBe(400);
    expect(((await replay.json()) as { code: string }).code).toBe('ERR_REPLAY');
    expect(calls).toBe(before + 1);
  });

  it('a commit that keeps failing: the answer goes, commit-failed is reported, the lease holds', async () => {
    commitFailures = 10;
    events.length = 0;
    const before = calls;
    const { res, replay } = await callAndCapture('lease');
    expect(await res.json()).toEqual({ paid: 'lease' });
    expect(events[0]).toMatchObject({
      outcome: 'commit-failed',
      code: 'ERR_TRANSPORT',
      status: 200,
    });
    expect(replay.status).toBe(409);
    expect(replay.headers.get('retry-after')).toBe('1');
    expect(((await replay.json()) as { code: string }).code).toBe('ERR_REPLAY_IN_FLIGHT');
    expect(calls).toBe(before + 1);
    commitFailures = 0;
  });
});
