/**
 * The real SDK clients (v1, v2) spawn a tool server process over stdio
 * (StdioClientTransport, the SDK's own framing on the child's pipes), each
 * end decorated, a spy recording every JSON-RPC message under the agent's
 * decorator: the tool process gets the plaintext and the verified agent,
 * nothing in the messages holds the plaintext or the agent's name. Runs on
 * the built packages (`pnpm build`).
 */
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { exportIdentity, exportPublicIdentity } from '@blindwire/core';
import { Client as ClientV1 } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport as StdioV1 } from '@modelcontextprotocol/sdk/client/stdio.js';
import { Client as ClientV2 } from '@modelcontextprotocol/client';
import { StdioClientTransport as StdioV2 } from '@modelcontextprotocol/client/stdio';
import { createBlindnessSpy, requireBuild } from '@blindwire/testkit';
import { createSealedClientTransport, type McpTransport } from '../src/index.js';
import { AGENT, REFUND, TOOL, cast, confirmation, spy, utf8 } from './helpers.js';

const built = requireBuild(
  [fileURLToPath(new URL('../dist/index.js', import.meta.url))],
  '@blindwire/mcp',
);
const server = fileURLToPath(new URL('./fixtures/stdio-server.mjs', import.meta.url));

const sdks = [
  { sdk: 'v1', Client: ClientV1, Stdio: StdioV1 },
  {
    sdk: 'v2',
    Client: ClientV2 as unknown as typeof ClientV1,
    Stdio: StdioV2 as unknown as typeof StdioV1,
  },
];

describe.skipIf(built.skip).each(sdks)(
  '$sdk SDK, a tool server process over stdio',
  ({ sdk, Client, Stdio }) => {
    it('the tool process gets the plaintext and the verified agent; the messages hold neither', async () => {
      built.assertBuilt();
      const c = await cast();
      const stdio = new Stdio({
        command: process.execPath,
        args: [server],
        env: {
          PATH: process.env['PATH'] ?? '',
          BW_SDK: sdk,
          BW_TOOL: JSON.stringify(exportIdentity(c.tool)),
          BW_AGENT: JSON.stringify(exportPublicIdentity(c.agent)),
        },
        stderr: 'pipe',
      });
      const reports: string[] = [];
      stdio.stderr?.on('data', (b: Buffer) => reports.push(b.toString()));
      const s = spy(stdio as unknown as McpTransport);
      const client = new Client({ name: 'planner', version: '1.0.0' });
      await client.connect(
        createSealedClientTransport(s, {
          sender: c.agent,
          to: TOOL,
          resolveRecipient: c.resolveRecipient,
          tools: ['refund'],
        }) as never,
      );
      try {
        const res = await client.callTool({ name: 'refund', arguments: REFUND });
        expect(res.structuredContent).toEqual({
          status: 'refunded',
          confirmation: confirmation(REFUND.order),
        });
      } finally {
        await client.close();
      }
      const report = JSON.parse(reports.join('').trim().split('\n').at(-1)!) as {
        args: unknown;
        caller: { sender: string };
      };
      expect(report.args).toEqual(REFUND);
      expect(report.caller.sender).toBe(AGENT);
      const scan = createBlindnessSpy(
        [utf8(REFUND.order), utf8(REFUND.iban), utf8(confirmation(REFUND.order))],
        [AGENT],
      );
      for (const m of [...s.sent, ...s.received])
        scan.scan({ where: 'a JSON-RPC message', body: utf8(m) });
      expect(s.sent.some((m) => m.includes('"blindwire/envelope"'))).toBe(true);
      expect(scan.findings).toEqual([]);
    });
  },
);
