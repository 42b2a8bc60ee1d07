/**
 * Inputs given as Node Buffers: what `open` and `importResponseState` keep
 * for later (the request id, the responder kid) is a copy of the caller's
 * bytes, never a view (Buffer.prototype.slice returns a view). A caller that
 * reuses its receive Buffer after the call still gets a response the
 * requester accepts, on every backend.
 */
import { describe, expect, it } from 'vitest';
import { open } from '../src/envelope/open.js';
import { openResponse, sealResponse } from '../src/envelope/response.js';
import { exportResponseState, importResponseState } from '../src/envelope/response-state.js';
import { seal } from '../src/envelope/seal.js';
import { publicIdentity } from '../src/identity/identity.js';
import { backends } from './helpers/backends.js';
import { NOW, cast, trusted } from './helpers/fixtures.js';

describe.each(backends.map((b) => [b.name, b] as const))('Buffer inputs (%s)', (_, b) => {
  it('open: a request Buffer refilled after open still yields a matching response', async () => {
    const { alice, bob } = await cast(b);
    const request = await seal('q', {
      sender: alice,
      recipients: publicIdentity(bob),
      now: NOW,
      backend: b,
    });
    const received = Buffer.from(request.envelope);
    const opened = await open(received, {
      recipient: bob,
      trustedSenders: trusted(alice),
      now: NOW,
      backend: b,
    });
    received.fill(0); // the receive buffer, reused for the next message
    const reply = await sealResponse(opened, 'a', { now: NOW, backend: b });
    const answer = await openResponse(request, reply.envelope, { now: NOW, backend: b });
    expect(new TextDecoder().decode(answer.payload)).toBe('a');
  });

  it('importResponseState: a state Buffer refilled after import still opens the response', async () => {
    const { alice, bob } = await cast(b);
    const request = await seal('q', {
      sender: alice,
      recipients: publicIdentity(bob),
      now: NOW,
      backend: b,
    });
    const state = Buffer.from(
      await exportResponseState(request, { to: alice, now: NOW, backend: b }),
    );
    const imported = await importResponseState(state, { keys: alice, now: NOW, backend: b });
    state.fill(0);
    const opened = await open(request.envelope, {
      recipient: bob,
      trustedSenders: trusted(alice),
      now: NOW,
      backend: b,
    });
    const reply = await sealResponse(opened, 'a', { now: NOW, backend: b });
    const answer = await openResponse(imported, reply.envelope, { now: NOW, backend: b });
    expect(new TextDecoder().decode(answer.payload)).toBe('a');
  });
});
