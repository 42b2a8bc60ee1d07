/**
 * Sealed calls through a real nginx reverse proxy that logs full request
 * bodies, with a TCP tap recording what it forwarded each way: neither the
 * log nor the forwarded bytes hold a window of the plaintexts or the agent's
 * name, while the tool gets the plaintext and the verified agent.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBlindnessSpy } from '@blindwire/testkit';
import { createSealedHandler, sealedFetch, type SealedCall } from '../src/index.js';
import { AGENT, TOOL, cast, listen, utf8, type Cast, type Running } from './helpers.js';
import { nginxSkip, startNginx, startTap, type Nginx, type Tap } from '@blindwire/testkit/nginx';

const skip = nginxSkip();

describe.skipIf(skip)('through nginx', () => {
  let c: Cast;
  let app: Running;
  let tap: Tap;
  let proxy: Nginx;
  const seen: SealedCall[] = [];
  const requests = [
    '{"refund":{"order":"A-1042","amount":"1234.56","iban":"DE89370400440532013000"}}',
    '{"refund":{"order":"B-2048","amount":"99.00","card":"4111111111111111"}}',
  ];
  const answers = (req: string) =>
    `{"status":"refunded","echo-secret":"confirmation-${req.length}-XYZZY-PLUGH"}`;

  beforeAll(async () => {
    c = await cast();
    const handler = createSealedHandler({
      recipient: c.tool.encryption,
      resolveSender: c.resolveSigningKey,
      routes: [
        {
          method: 'POST',
          path: '/tools/refund',
          allowedSenders: ['spiffe://acme.example/agents/*'],
        },
      ],
      sealHeaders: ['x-ledger-ref'],
      handler: (call) => {
        seen.push(call);
        return new Response(answers(call.text()), {
          headers: {
            'content-type': 'application/json',
            'x-ledger-ref': 'ledger-secret-ref-0001',
            etag: '"abc"',
          },
        });
      },
    });
    app = await listen(handler);
    tap = await startTap(app.port);
    proxy = await startNginx(tap.port);
  });
  afterAll(async () => {
    await proxy?.stop();
    await tap?.close();
    await app?.close();
  });

  it('the tool gets the plaintext and the verified agent; the proxy sees neither', async () => {
    const f = sealedFetch(fetch, {
      sender: c.agent,
      to: TOOL,
      resolveRecipient: c.resolveRecipient,
      sealHeaders: ['x-idempotency-key'],
    });
    const got: string[] = [];
    for (const body of requests) {
      const res = await f(`http://127.0.0.1:${proxy.port}/tools/refund?trace=1`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-idempotency-key': 'idem-secret-key-42' },
        body,
      });
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe('application/json');
      expect(res.headers.get('x-ledger-ref')).toBe('ledger-secret-ref-0001');
      expect(res.headers.get('etag')).toBeNull();
      got.push(await res.text());
    }
    expect(got).toEqual(requests.map(answers));
    expect(seen.map((s) => s.text())).toEqual(requests);
    expect(seen.every((s) => s.sender === AGENT && s.path === '/tools/refund')).toBe(true);
    expect(seen[0]!.headers.get('x-idempotency-key')).toBe('idem-secret-key-42');
    expect(seen[0]!.headers.get('content-type')).toBe('application/json');

    const log = proxy.accessLog();
    expect(log.toString()).toContain(
      'POST /tools/refund?trace=1 status=200 ct=application/vnd.blindwire.envelope',
    );
    expect(log.toString()).toContain('rct=application/vnd.blindwire.response');
    const plaintexts = [
      ...requests.map(utf8),
      ...requests.map((r) => utf8(answers(r))),
      utf8('idem-secret-key-42'),
      utf8('ledger-secret-ref-0001'),
    ];
    const spy = createBlindnessSpy(plaintexts, [AGENT]);
    spy.scan({ where: 'nginx access log', body: log });
    spy.scan({ where: 'forwarded to the app', body: Buffer.concat(tap.toApp) });
    spy.scan({ where: 'forwarded to the agent', body: Buffer.concat(tap.toProxy) });
    expect(spy.scanned.bytes).toBeGreaterThan(1000);
    expect(spy.findings).toEqual([]);
    // The spy is live: the handler's own plaintext would be found.
    const control = createBlindnessSpy(plaintexts, [AGENT]);
    control.scan({ where: 'control', body: utf8(`x ${requests[0]} ${AGENT}`) });
    expect(control.findings.length).toBeGreaterThan(0);
    // What the proxy forwards of the response: our media type, no-store, Vary, exact length.
    const head = Buffer.concat(tap.toProxy).toString('latin1');
    expect(head).toMatch(/cache-control: no-store/i);
    expect(head).toMatch(/vary: \*/i);
    expect(head).not.toMatch(/etag/i);
  });
});
