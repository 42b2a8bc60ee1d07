/**
 * The cast of the agent-to-tool binding tests (HTTP, MCP): an agent, an
 * intruder and a tool identity, with a name resolver and a signing-key
 * resolver standing in for a directory (tests that need a real one build it).
 */
import {
  BlindwireError,
  ErrorCode,
  generateIdentity,
  publicIdentity,
  type Identity,
} from '@blindwire/core';

export interface AgentToolCast {
  agent: Identity;
  other: Identity;
  tool: Identity;
  resolveRecipient(name: string): ReturnType<typeof publicIdentity>;
  resolveSigningKey(name: string, kid: string): Uint8Array | null;
}

export const AGENT = 'spiffe://acme.example/agents/planner';
export const OTHER = 'spiffe://acme.example/agents/intruder';
export const TOOL = 'spiffe://acme.example/tools/payments';

/** Fresh identities for the agent, the intruder and the tool. */
export async function agentToolCast(): Promise<AgentToolCast> {
  const agent = await generateIdentity(AGENT);
  const other = await generateIdentity(OTHER);
  const tool = await generateIdentity(TOOL);
  const all = [agent, other, tool];
  return {
    agent,
    other,
    tool,
    resolveRecipient: (name) => {
      const id = all.find((i) => i.name === name);
      if (!id) throw new BlindwireError(ErrorCode.KeyNotFound, 'unknown identity');
      return publicIdentity(id);
    },
    resolveSigningKey: (name, kid) => {
      const id = all.find((i) => i.name === name && i.signing.kid === kid);
      return id ? id.signing.publicKey : null;
    },
  };
}
