/**
 * Shared set-up of the HTTP binding's tests: an agent and a tool identity, a
 * name resolver standing in for a directory, and a node:http server running
 * a sealed handler on loopback.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  BlindwireError,
  ErrorCode,
  generateIdentity,
  publicIdentity,
  type Identity,
} from '@blindwire/core';
import { toNodeListener, type SealedHandler } from '../src/index.js';

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

export interface Running {
  url: string;
  port: number;
  close(): Promise<void>;
}

export async function listen(handler: SealedHandler): Promise<Running> {
  const server: Server = createServer(toNodeListener(handler));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

export const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);
