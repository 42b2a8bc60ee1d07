/**
 * Shared set-up of the MCP binding's tests: an agent, an intruder and a tool
 * identity, a name resolver standing in for a directory, a spy transport
 * that records every JSON-RPC message each way, and the payments tool's
 * plaintexts.
 */
import type { McpTransport } from '../src/index.js';
import { AGENT, OTHER, TOOL, agentToolCast, type AgentToolCast } from '@blindwire/testkit';

export type Cast = AgentToolCast;
export { AGENT, OTHER, TOOL };
/** Fresh identities for the agent, the intruder and the tool. */
export const cast = agentToolCast;

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
