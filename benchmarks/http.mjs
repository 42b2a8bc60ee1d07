#!/usr/bin/env node
/**
 * `pnpm bench:http`: sealed vs plaintext request/response through node:http
 * on loopback, side by side in one process, at 1 KiB and 64 KiB bodies.
 * Plaintext: a node:http server echoing a JSON-sized body, called with
 * fetch. Sealed: the same server behind createSealedHandler (open with a
 * memory replay reservation, handler, sealResponse, commit), called with
 * sealedFetch (seal, fetch, openResponse). Rows are interleaved over rounds;
 * prints requests/s, p50/p99 latency of sequential calls and the ratios
 * sealed ÷ plaintext. Imports the BUILT packages: run `pnpm build` first (the
 * root script does). Not a test: nothing is asserted, but a wrong answer
 * fails the run.
 *
 *   node benchmarks/http.mjs [--quick] [--rounds 3] [--cell-ms 1500] [--concurrency 16]
 */
/* global fetch, Response */
import { createServer } from 'node:http';
import { generateIdentity, publicIdentity } from '@blindwire/core';
import { createSealedHandler, sealedFetch, toNodeListener } from '@blindwire/http';

const argv = process.argv.slice(2);
const arg = (k, d) => (argv.includes(k) ? Number(argv[argv.indexOf(k) + 1]) : d);
const quick = argv.includes('--quick');
const rounds = arg('--rounds', quick ? 1 : 3);
const cellMs = arg('--cell-ms', quick ? 600 : 1500);
const concurrency = arg('--concurrency', 16);

const agent = await generateIdentity('spiffe://bench.example/agents/a');
const tool = await generateIdentity('spiffe://bench.example/tools/t');

const listen = (listener) =>
  new Promise((resolve) => {
    const s = createServer({ keepAlive: true }, listener);
    s.listen(0, '127.0.0.1', () => resolve(s));
  });

const plainServer = await listen((req, res) => {
  const parts = [];
  req.on('data', (b) => parts.push(b));
  req.on('end', () => {
    const body = Buffer.concat(parts);
    res.writeHead(200, {
      'content-type': 'application/octet-stream',
      'content-length': body.length,
    });
    res.end(body);
  });
});
const sealedServer = await listen(
  toNodeListener(
    createSealedHandler({
      recipient: tool.encryption,
      trustedSenders: [publicIdentity(agent)],
      routes: [{ path: '/echo', allowedSenders: [agent.name] }],
      handler: (call) =>
        new Response(call.body, { headers: { 'content-type': 'application/octet-stream' } }),
    }),
  ),
);
const plainUrl = `http://127.0.0.1:${plainServer.address().port}/echo`;
const sealedUrl = `http://127.0.0.1:${sealedServer.address().port}/echo`;
const sealed = sealedFetch(fetch, { sender: agent, to: publicIdentity(tool) });

const rows = {
  plaintext: (body) => fetch(plainUrl, { method: 'POST', body }),
  sealed: (body) => sealed(sealedUrl, { method: 'POST', body }),
};

async function cell(call, size) {
  const body = new Uint8Array(size).map((_, i) => i % 251);
  const check = async () => {
    const res = await call(body);
    const got = new Uint8Array(await res.arrayBuffer());
    if (got.length !== size || got[size - 1] !== body[size - 1]) throw new Error('wrong answer');
  };
  for (let i = 0; i < 20; i++) await check(); // warm-up
  // Latency: sequential calls.
  const lat = [];
  const t0 = performance.now();
  while (performance.now() - t0 < cellMs / 2) {
    const s = performance.now();
    await check();
    lat.push(performance.now() - s);
  }
  lat.sort((a, b) => a - b);
  // Throughput: `concurrency` calls in flight.
  let done = 0;
  const t1 = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() - t1 < cellMs / 2) {
        await check();
        done++;
      }
    }),
  );
  const rps = done / ((performance.now() - t1) / 1000);
  return { rps, p50: lat[Math.floor(lat.length * 0.5)], p99: lat[Math.floor(lat.length * 0.99)] };
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const results = {};
for (let r = 0; r < rounds; r++) {
  for (const size of [1024, 65536]) {
    for (const [name, call] of Object.entries(rows)) {
      const k = `${name} ${size}`;
      (results[k] ??= []).push(await cell(call, size));
    }
  }
}
const fmt = (n, d = 0) => n.toFixed(d).padStart(9);
console.log(
  `node ${process.version}, ${rounds} round(s), ${cellMs} ms per cell, concurrency ${concurrency}`,
);
console.log('row                 req/s    p50 ms    p99 ms');
const m = {};
for (const [k, cells] of Object.entries(results)) {
  m[k] = {
    rps: median(cells.map((c) => c.rps)),
    p50: median(cells.map((c) => c.p50)),
    p99: median(cells.map((c) => c.p99)),
  };
  console.log(`${k.padEnd(16)}${fmt(m[k].rps)}${fmt(m[k].p50, 2)}${fmt(m[k].p99, 2)}`);
}
for (const size of [1024, 65536]) {
  const p = m[`plaintext ${size}`];
  const s = m[`sealed ${size}`];
  console.log(
    `sealed ÷ plaintext at ${size / 1024} KiB: req/s ${(s.rps / p.rps).toFixed(2)}, p50 ${(s.p50 / p.p50).toFixed(2)}, p99 ${(s.p99 / p.p99).toFixed(2)}`,
  );
}
plainServer.closeAllConnections();
sealedServer.closeAllConnections();
plainServer.close();
sealedServer.close();
