/**
 * Keys through a real directory (SPEC.md §11): trust anchors certify the
 * agent and the tool, whose signed key records sit in an untrusted store. The
 * agent resolves the tool's encryption key by name, the tool verifies the
 * agent's signing key by name and kid; an agent certified by another anchor,
 * a revoked agent key and a tool without records are refused, each before
 * the handler or the network is reached.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { generateIdentity, inspect, type Identity } from '@blindwire/core';
import {
  certifyIdentity,
  createDirectory,
  createEncryptionKeyRecord,
  createMemoryStore,
  createRevocation,
  createTrustAnchor,
  trustAnchorPublic,
  type Directory,
  type MemoryStore,
  type TrustAnchor,
} from '@blindwire/directory';
import { expectCode } from '@blindwire/testkit';
import { createSealedHandler, sealedFetch, type FetchLike, type SealedCall } from '../src/index.js';
import { AGENT, TOOL, listen } from './helpers.js';

const MALLORY = 'spiffe://acme.example/agents/mallory';

let anchor: TrustAnchor;
let agent: Identity;
let mallory: Identity;
let tool: Identity;
let store: MemoryStore;

async function publish(a: TrustAnchor, id: Identity): Promise<void> {
  await store.put(id.name, await certifyIdentity(a, id));
  await store.put(id.name, await createEncryptionKeyRecord(id, id.encryption));
}

beforeAll(async () => {
  anchor = await createTrustAnchor('acme.example root');
  const rogue = await createTrustAnchor('not acme');
  [agent, mallory, tool] = await Promise.all([
    generateIdentity(AGENT),
    generateIdentity(MALLORY),
    generateIdentity(TOOL),
  ]);
  store = createMemoryStore();
  await publish(anchor, agent);
  await publish(anchor, tool);
  await publish(rogue, mallory); // in the store, but under an anchor nobody trusts
});

const directory = (): Directory =>
  createDirectory({ store, trust: { anchors: [trustAnchorPublic(anchor)] } });

/** A tool resolving agents through its own directory client; the calls it handled. */
async function serveTool(dir: Directory) {
  const seen: SealedCall[] = [];
  const app = await listen(
    createSealedHandler({
      recipient: tool.encryption,
      resolveSender: (name, kid) => dir.resolveSigningKey(name, kid),
      routes: [{ method: 'POST', path: '/tools/*', allowedSenders: ['spiffe://acme.example/**'] }],
      handler: (call) => {
        seen.push(call);
        return Response.json({ for: call.sender, got: call.json() });
      },
    }),
  );
  return { app, seen };
}

function agentFetch(who: Identity, dir: Directory, f: FetchLike = fetch, to = TOOL) {
  return sealedFetch(f, {
    sender: who,
    to,
    resolveRecipient: (name) => dir.resolveRecipient(name),
  });
}

describe('keys resolved through a directory', () => {
  it('the agent seals to the key the directory verified; the tool verifies the agent by name and kid', async () => {
    const toolDir = directory();
    const agentDir = directory();
    const { app, seen } = await serveTool(toolDir);
    try {
      const sent: Uint8Array[] = [];
      const recording: FetchLike = async (input, init) => {
        sent.push(new Uint8Array(init!.body as Uint8Array));
        return fetch(input, init);
      };
      const res = await agentFetch(
        agent,
        agentDir,
        recording,
      )(`${app.url}/tools/refund`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ order: 'A-1042' }),
      });
      expect(await res.json()).toEqual({ for: AGENT, got: { order: 'A-1042' } });
      expect(seen.map((s) => [s.sender, s.senderKid])).toEqual([[AGENT, agent.signing.kid]]);
      const resolved = await agentDir.resolveRecipient(TOOL);
      expect(resolved.kid).toBe(tool.encryption.kid);
      const header = inspect(sent[0]!);
      expect(header.kind === 'message' && header.recipients.map((r) => r.kid)).toEqual([
        tool.encryption.kid,
      ]);
    } finally {
      await app.close();
      await toolDir.close();
      await agentDir.close();
    }
  });

  it('an agent certified by an anchor the tool does not trust is refused before the handler', async () => {
    const dir = directory();
    const { app, seen } = await serveTool(dir);
    try {
      // Mallory resolves the tool honestly; the tool cannot verify Mallory.
      const err = await agentFetch(mallory, dir)(`${app.url}/tools/refund`, {
        method: 'POST',
        body: '{}',
      }).catch((e: unknown) => e);
      await expectCode(Promise.reject(err), 'ERR_TRANSPORT');
      expect((err as { cause: unknown }).cause).toEqual({ status: 400, code: 'ERR_KEY_UNTRUSTED' });
      expect(seen).toHaveLength(0);
    } finally {
      await app.close();
      await dir.close();
    }
  });

  it('an agent key revoked in the directory is refused before the handler', async () => {
    // A store of its own: the revocation must not reach the other tests.
    const own = createMemoryStore();
    for (const id of [agent, tool]) {
      await own.put(id.name, await certifyIdentity(anchor, id));
      await own.put(id.name, await createEncryptionKeyRecord(id, id.encryption));
    }
    await own.put(
      AGENT,
      await createRevocation(anchor, { name: AGENT, kid: agent.signing.kid, reason: 'compromise' }),
    );
    const dir = createDirectory({ store: own, trust: { anchors: [trustAnchorPublic(anchor)] } });
    const { app, seen } = await serveTool(dir);
    try {
      const err = await agentFetch(agent, dir)(`${app.url}/tools/refund`, {
        method: 'POST',
        body: '{}',
      }).catch((e: unknown) => e);
      // SPEC.md §7 step 14: the directory has no usable key for (sender, kid).
      expect((err as { cause: unknown }).cause).toEqual({ status: 400, code: 'ERR_KEY_UNTRUSTED' });
      expect(seen).toHaveLength(0);
    } finally {
      await app.close();
      await dir.close();
    }
  });

  it('a tool with no records in the directory: ERR_KEY_NOT_FOUND, nothing sent', async () => {
    const dir = directory();
    let called = 0;
    const counting: FetchLike = (input, init) => {
      called++;
      return fetch(input, init);
    };
    try {
      await expectCode(
        agentFetch(
          agent,
          dir,
          counting,
          'spiffe://acme.example/tools/unknown',
        )('http://127.0.0.1:9/tools/refund', { method: 'POST', body: 'x' }),
        'ERR_KEY_NOT_FOUND',
      );
      expect(called).toBe(0);
    } finally {
      await dir.close();
    }
  });
});
