/**
 * Blindwire signed seal/open, one recipient, one entry per backend. The
 * backend is forced on every call with the `backend` option, so the rows do
 * not depend on the process-wide default. A backend whose module is not there
 * (not written or not built yet) is reported as missing, not guessed at.
 */
import * as core from '@blindwire/core';

/** Where each backend comes from, most specific first. */
const SOURCES = {
  pure: [async () => core.pureBackend],
  node: [
    async () => (await import('@blindwire/core/backend/node')).nodeBackend,
    // Under the `node` condition the default backend is the node one.
    async () => (core.getDefaultBackend().name === 'node' ? core.getDefaultBackend() : undefined),
  ],
  web: [async () => (await import('@blindwire/core/backend/web')).webBackend],
};

async function loadBackend(name) {
  const reasons = [];
  for (const load of SOURCES[name]) {
    try {
      const b = await load();
      if (b && typeof b.aeadSeal === 'function') {
        if (b.name !== name) throw new Error(`backend reports name ${JSON.stringify(b.name)}`);
        return b;
      }
      reasons.push('not exported');
    } catch (e) {
      reasons.push(e.code ?? e.message);
    }
  }
  throw new Error(`backend "${name}" unavailable: ${reasons.join('; ')}`);
}

function blindwire(backendName) {
  return {
    id: `blindwire-${backendName}`,
    label: `Blindwire (${backendName})`,
    signed: true,
    notes: `seal/open from @blindwire/core, { backend: ${backendName}Backend } on every call`,
    async create() {
      const backend = await loadBackend(backendName);
      const sender = await core.generateIdentity('spiffe://bench.example/sender', { backend });
      const recipient = await core.generateIdentity('spiffe://bench.example/recipient', {
        backend,
      });
      const recipients = core.publicIdentity(recipient);
      const trustedSenders = [core.publicIdentity(sender)];
      return {
        seal: async (p) => (await core.seal(p, { sender, recipients, backend })).envelope,
        open: async (envelope) =>
          (await core.open(envelope, { recipient, trustedSenders, backend })).payload,
      };
    },
  };
}

export const blindwireImpls = ['pure', 'node', 'web'].map(blindwire);
