/**
 * Shared set-up of the HTTP binding's tests: an agent and a tool identity, a
 * name resolver standing in for a directory, and a node:http server running
 * a sealed handler on loopback.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { toNodeListener, type SealedHandler } from '../src/index.js';
import { AGENT, OTHER, TOOL, agentToolCast, type AgentToolCast } from '@blindwire/testkit';

export type Cast = AgentToolCast;
export { AGENT, OTHER, TOOL };
/** Fresh identities for the agent, the intruder and the tool. */
export const cast = agentToolCast;

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
