/**
 * The post-quantum (X-Wing) section of the benchmarks, shared by
 * benchmarks/pq.mjs (`pnpm bench:pq`) and benchmarks/run.mjs (`pnpm bench`,
 * skipped with --no-pq): X-Wing keygen, encap and decap per second (HPKE
 * set-ups, key schedule included; with the per-key cache of the expanded key
 * and without it), signed seal and open at 256 B and 64 KiB with one X-Wing
 * recipient beside the classical X25519 suite, the envelope size overhead, and
 * the browser bundle of seal + open without and with `@blindwire/core/xwing`.
 * Cells are interleaved: each round visits every cell once for cellMs; a
 * figure is the median of its per-round rates. Runs against the BUILT core
 * (on Node its `node` condition registers X-Wing).
 */
import { gzipSync } from 'node:zlib';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { generateIdentity, open, publicIdentity, seal } from '@blindwire/core';
import { createSuite } from '@blindwire/core/hpke';
import { timeOp } from './harness.mjs';

const NOW = Date.UTC(2026, 10, 23, 12, 0, 0);
const KEMS = { X25519: 0x0020, 'X-Wing': 0x647a };
const info = new TextEncoder().encode('blindwire/v1 message');

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

/** The KEM cells: HPKE set-ups on the default (node) backend, ChaCha20-Poly1305. */
async function kemCells() {
  const cells = [];
  for (const [name, kem] of Object.entries(KEMS)) {
    const suite = createSuite({ kem, kdf: 1, aead: 3 });
    const kp = await suite.generateKeyPair();
    const { enc } = await suite.setupSender({ recipientPublicKey: kp.publicKey, info });
    const decap = async (recipientKey) => {
      const ctx = await suite.setupRecipient({ enc, recipientKey, info });
      ctx.dispose();
    };
    cells.push(
      { id: `${name} keygen`, run: () => suite.generateKeyPair() },
      {
        id: `${name} encap`,
        run: async () =>
          (await suite.setupSender({ recipientPublicKey: kp.publicKey, info })).context.dispose(),
      },
      { id: `${name} decap`, run: () => decap(kp) },
    );
    if (name === 'X-Wing') {
      // Fresh key arrays miss the per-key caches: the recipient's public key is
      // prepared (its ML-KEM matrix expanded) again, the seed expanded again.
      cells.push({
        id: 'X-Wing encap (no cache)',
        run: async () =>
          (
            await suite.setupSender({ recipientPublicKey: kp.publicKey.slice(), info })
          ).context.dispose(),
      });
      cells.push({
        id: 'X-Wing decap (no cache)',
        run: () => decap({ privateKey: kp.privateKey.slice(), publicKey: kp.publicKey }),
      });
    }
  }
  return cells;
}

/** Signed seal and open, one recipient, each KEM, 256 B and 64 KiB. */
async function envelopeCells() {
  const alice = await generateIdentity('spiffe://acme.example/agents/planner');
  const bob = {
    X25519: await generateIdentity('spiffe://acme.example/tools/payments'),
    'X-Wing': await generateIdentity('spiffe://acme.example/tools/payments', { kem: 'X-Wing' }),
  };
  const trusted = [publicIdentity(alice)];
  const cells = [];
  const sizes = {};
  for (const bytes of [256, 65536]) {
    const payload = new Uint8Array(bytes).fill(7);
    for (const kem of Object.keys(KEMS)) {
      const o = { sender: alice, recipients: publicIdentity(bob[kem]), now: NOW };
      const sealed = (await seal(payload, o)).envelope;
      const opened = await open(sealed, { recipient: bob[kem], trustedSenders: trusted, now: NOW });
      if (opened.payload.length !== bytes) throw new Error('round trip failed');
      sizes[`${kem} ${bytes} B`] = sealed.length;
      cells.push(
        { id: `seal ${kem} ${bytes} B`, run: () => seal(payload, o) },
        {
          id: `open ${kem} ${bytes} B`,
          run: () => open(sealed, { recipient: bob[kem], trustedSenders: trusted, now: NOW }),
        },
      );
    }
  }
  // Envelope size with 1 and 3 recipients, 256 B body.
  for (const n of [1, 3]) {
    for (const kem of Object.keys(KEMS)) {
      const ids = await Promise.all(
        Array.from({ length: n }, (_, i) =>
          generateIdentity(`spiffe://acme.example/tools/t${i}`, { kem }),
        ),
      );
      const s = await seal(new Uint8Array(256), {
        sender: alice,
        recipients: ids.map(publicIdentity),
        now: NOW,
      });
      sizes[`${kem} 256 B, ${n} recipients`] = s.envelope.length;
    }
  }
  return { cells, sizes };
}

/**
 * The browser bundle of `seal` + `open` (run.mjs's entry), one file, minified
 * (esbuild, platform browser, no splitting: X-Wing is opt-in, not a chunk),
 * without and with `import '@blindwire/core/xwing'`; gzip -9.
 */
export async function pqBundles() {
  const resolveDir = fileURLToPath(new URL('..', import.meta.url));
  const seal = "import { seal, open } from '@blindwire/core';\nexport { seal, open };\n";
  const one = async (contents) => {
    const r = await build({
      stdin: { contents, resolveDir, sourcefile: 'entry.mjs', loader: 'js' },
      bundle: true,
      platform: 'browser',
      format: 'esm',
      target: 'es2022',
      minify: true,
      write: false,
      metafile: true,
      logLevel: 'silent',
      external: ['node:*'],
    });
    const code = r.outputFiles[0].contents;
    const inputs = Object.entries(Object.values(r.metafile.outputs)[0].inputs);
    const pq = inputs.filter(([f]) => /@noble\/post-quantum|@noble\/hashes\/sha3/.test(f));
    return {
      min: code.length,
      gzip: gzipSync(code, { level: 9 }).length,
      postQuantumMinBytes: pq.reduce((a, [, i]) => a + i.bytesInOutput, 0),
    };
  };
  return {
    classical: await one(seal),
    withXWing: await one(`import '@blindwire/core/xwing';\n${seal}`),
  };
}

/** Runs every cell interleaved for `rounds` rounds; returns the results (JSON-ready). */
export async function measurePq({ rounds = 5, cellMs = 400, log = () => {} } = {}) {
  const { cells: envCells, sizes } = await envelopeCells();
  const cells = [...(await kemCells()), ...envCells];
  for (const c of cells) await timeOp(c.run, undefined, 100, 3); // warm-up
  const rates = new Map(cells.map((c) => [c.id, []]));
  for (let r = 0; r < rounds; r++) {
    const order = r % 2 ? [...cells].reverse() : cells;
    for (const c of order) rates.get(c.id).push((await timeOp(c.run, undefined, cellMs, 3)).rate);
    log(`pq round ${r + 1}/${rounds}`);
  }
  const results = Object.fromEntries([...rates].map(([id, xs]) => [id, median(xs)]));
  const gain = {
    decap: results['X-Wing decap'] / results['X-Wing decap (no cache)'],
    encap: results['X-Wing encap'] / results['X-Wing encap (no cache)'],
  };
  return { rounds, cellMs, results, gain, sizes, bundles: await pqBundles() };
}

/** The section as text: ops/s, X-Wing/X25519 ratios, cache gains, sizes, bundles. */
export function pqTable(m) {
  const r = m.results;
  const lines = [`\nPost-quantum (X-Wing), ops/s, median of ${m.rounds} interleaved rounds:`];
  for (const [id, v] of Object.entries(r)) lines.push(`  ${id.padEnd(28)} ${v.toFixed(0)}`);
  lines.push('  X-Wing / X25519 (same run):');
  for (const op of ['seal', 'open'])
    for (const b of [256, 65536])
      lines.push(
        `    ${`${op} ${b} B`.padEnd(26)} ${(r[`${op} X-Wing ${b} B`] / r[`${op} X25519 ${b} B`]).toFixed(2)}x`,
      );
  lines.push(`  X-Wing decap cache gain:     ${m.gain.decap.toFixed(2)}x`);
  lines.push(`  X-Wing encap cache gain:     ${m.gain.encap.toFixed(2)}x`);
  lines.push('envelope bytes:');
  for (const [k, v] of Object.entries(m.sizes)) lines.push(`  ${k.padEnd(28)} ${v}`);
  const b = m.bundles;
  const kib = (x) => `${(x / 1024).toFixed(1)} KiB`;
  lines.push('browser bundle of seal + open, one file (min / min+gzip):');
  lines.push(
    `  classical:                   ${kib(b.classical.min)} / ${kib(b.classical.gzip)} (post-quantum code: ${b.classical.postQuantumMinBytes} B)`,
  );
  lines.push(
    `  with @blindwire/core/xwing:  ${kib(b.withXWing.min)} / ${kib(b.withXWing.gzip)} (post-quantum code: ${kib(b.withXWing.postQuantumMinBytes)} min)`,
  );
  return lines.join('\n');
}
