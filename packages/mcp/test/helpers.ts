/**
 * Shared set-up of the MCP binding's tests: an agent, an intruder and a tool
 * identity, a name resolver standing in for a directory, a spy transport
 * that records every JSON-RPC message each way, and the payments tool's
 * plaintexts.
 */
import {
  BlindwireError,
  ErrorCode,
  generateIdentity,
  publicIdentity,
  type Identity,
} from '@blindwire/core';
import type { McpTransport } from '../src/index.js';

export interface Cast {
  agent: Identity;
  other: Identity;
  tool: Identity;
  resolveRecipient(name: string): ReturnType<typeof publicIdentity>;
  resolveSigningKey(name: string, kid: string): Uint8Array | null;
}

export const AGENT = 'spiffe://acme.example/agents/planner';
export const OTHER = 'spiffe://acme.example/agents/intruder';
export const TOOL = 'spiffe://acme.example/tools/payments';

export async function cast(): Promise<Cast> {
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

/** The refund the agent asks for, and what the tool answers: neither may leave in the clear. */
export const REFUND = { order: 'A-1042-SECRET', amount: '1234.56', iban: 'DE89370400440532013000' };
export const confirmation = (order: string) => `RCPT-77/${order}/XYZZY-PLUGH`;

/** A transport that records every message it carries, as JSON, each way. */
export interface Spy extends McpTransport {
  sent: string[];
  received: string[];
}

export function spy(inner: McpTransport): Spy {
  const s: Spy = {
    sent: [],
    received: [],
    start: () => inner.start(),
    close: () => inner.close(),
    send: async (m: unknown, o?: unknown) => {
      s.sent.push(JSON.stringify(m));
      await inner.send(m, o);
    },
    get sessionId() {
      return inner.sessionId;
    },
    // What the SDKs read or call on their transport passes through, as through the decorators.
    get hasPerRequestStream() {
      return inner.hasPerRequestStream;
    },
    setProtocolVersion: (v: string) => inner.setProtocolVersion?.(v),
    setSupportedProtocolVersions: (v: string[]) => inner.setSupportedProtocolVersions?.(v),
  };
  inner.onmessage = (m: unknown, extra?: unknown) => {
    s.received.push(JSON.stringify(m));
    s.onmessage?.(m, extra);
  };
  inner.onclose = () => s.onclose?.();
  inner.onerror = (e) => s.onerror?.(e);
  return s;
}

export const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);
