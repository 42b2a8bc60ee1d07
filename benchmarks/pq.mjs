#!/usr/bin/env node
/**
 * Post-quantum hybrid (X-Wing) benchmarks of @blindwire/core: X-Wing keygen,
 * encap and decap per second (HPKE set-ups, so the key schedule is included;
 * decap with the per-key cache of the expanded key and without it), signed
 * seal and open at 256 B and 64 KiB with one X-Wing recipient beside the
 * classical X25519 suite, the envelope size overhead, and the browser bundle
 * with and without the hybrid (esbuild, code splitting on and off).
 *
 *   node benchmarks/pq.mjs [--rounds N] [--cell-ms MS] [--json FILE]
 *
 * Runs against the BUILT core (`pnpm bench:pq` builds first). Cells are
 * interleaved: each round visits every cell once for --cell-ms; a figure is
 * the median of its per-round rates.
 */
import { writeFile } from 'node:fs/promises';
import { gzipSync } from 'node:zlib';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { generateIdentity, open, publicIdentity, seal } from '@blindwire/core';
import { createSuite } from '@blindwire/core/hpke';
import { timeOp } from './lib/harness.mjs';
import { describeMachine, machineLine } from './lib/machine.mjs';

const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(name);
  return i < 0 ? dflt : args[i + 1];
};
const ROUNDS = Number(opt('--rounds', 5));
const CELL_MS = Number(opt('--cell-ms', 400));
const JSON_OUT = opt('--json', undefined);
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
 * The browser bundle of `seal` + `open` (the run.mjs entry): with code
 * splitting, what loads up front and what only an X-Wing operation loads;
 * without splitting (one file), everything.
 */
async function bundles() {
  const resolveDir = fileURLToPath(new URL('.', import.meta.url));
  const entry = "import { seal, open } from '@blindwire/core';\nexport { seal, open };\n";
  const common = {
    stdin: { contents: entry, resolveDir, sourcefile: 'entry.mjs', loader: 'js' },
    bundle: true,
    platform: 'browser',
    format: 'esm',
    target: 'es2022',
    minify: true,
    write: false,
    metafile: true,
    logLevel: 'silent',
    external: ['node:*'],
  };
  const gz = (b) => gzipSync(b, { level: 9 }).length;
  const hasPq = (o) => Object.keys(o.inputs).some((f) => f.includes('@noble/post-quantum'));
  const split = await build({ ...common, splitting: true, outdir: '/tmp/blindwire-pq-bundle' });
  const outputs = split.metafile.outputs;
  const files = new Map(split.outputFiles.map((f) => [f.path.replace(/^.*\/tmp\//, 'tmp/'), f]));
  const byName = (p) => [...files].find(([k]) => p.endsWith(k.replace(/^tmp\//, '')))?.[1];
  const entryName = Object.keys(outputs).find((k) => outputs[k].entryPoint !== undefined);
  const initial = new Set([entryName]);
  for (const k of initial)
    for (const i of outputs[k].imports)
      if (i.kind === 'import-statement' && outputs[i.path]) initial.add(i.path);
  const lazy = Object.keys(outputs).filter((k) => !initial.has(k) && k.endsWith('.js'));
  const sum = (keys) =>
    keys.reduce(
      (a, k) => {
        const f = byName(k);
        return f ? { min: a.min + f.contents.length, gzip: a.gzip + gz(f.contents) } : a;
      },
      { min: 0, gzip: 0 },
    );
  const one = await build(common);
  return {
    splitting: {
      initial: { ...sum([...initial]), includesMlKem: [...initial].some((k) => hasPq(outputs[k])) },
      xwingChunk: { ...sum(lazy), includesMlKem: lazy.some((k) => hasPq(outputs[k])) },
    },
    singleFile: {
      min: one.outputFiles[0].contents.length,
      gzip: gz(one.outputFiles[0].contents),
      postQuantumMinBytes: Object.entries(Object.values(one.metafile.outputs)[0].inputs)
        .filter(([f]) => f.includes('@noble/post-quantum'))
        .reduce((a, [, i]) => a + i.bytesInOutput, 0),
    },
  };
}

async function main() {
  const machine = describeMachine();
  console.log(machineLine(machine));
  const { cells: envCells, sizes } = await envelopeCells();
  const cells = [...(await kemCells()), ...envCells];
  for (const c of cells) await timeOp(c.run, undefined, 100, 3); // warm-up
  const rates = new Map(cells.map((c) => [c.id, []]));
  for (let r = 0; r < ROUNDS; r++) {
    const order = r % 2 ? [...cells].reverse() : cells;
    for (const c of order) rates.get(c.id).push((await timeOp(c.run, undefined, CELL_MS, 3)).rate);
    process.stderr.write(`round ${r + 1}/${ROUNDS}\n`);
  }
  const results = Object.fromEntries([...rates].map(([id, xs]) => [id, median(xs)]));
  console.log('\nops/s (median of rounds):');
  for (const [id, v] of Object.entries(results)) console.log(`  ${id.padEnd(28)} ${v.toFixed(0)}`);
  const gain = {
    decap: results['X-Wing decap'] / results['X-Wing decap (no cache)'],
    encap: results['X-Wing encap'] / results['X-Wing encap (no cache)'],
  };
  console.log(`  X-Wing decap cache gain:     ${gain.decap.toFixed(2)}x`);
  console.log(`  X-Wing encap cache gain:     ${gain.encap.toFixed(2)}x`);
  console.log('\nenvelope bytes:');
  for (const [k, v] of Object.entries(sizes)) console.log(`  ${k.padEnd(28)} ${v}`);
  const b = await bundles();
  console.log('\nbrowser bundle of seal + open (min / gzip bytes):');
  console.log(
    `  splitting, loaded up front:  ${b.splitting.initial.min} / ${b.splitting.initial.gzip} (ML-KEM: ${b.splitting.initial.includesMlKem ? 'yes' : 'no'})`,
  );
  console.log(
    `  splitting, X-Wing chunk:     ${b.splitting.xwingChunk.min} / ${b.splitting.xwingChunk.gzip} (loaded on first X-Wing use)`,
  );
  console.log(
    `  one file (no splitting):     ${b.singleFile.min} / ${b.singleFile.gzip} (@noble/post-quantum ${b.singleFile.postQuantumMinBytes} min bytes inlined)`,
  );
  if (JSON_OUT)
    await writeFile(
      JSON_OUT,
      JSON.stringify(
        { machine, rounds: ROUNDS, cellMs: CELL_MS, results, gain, sizes, bundles: b },
        null,
        2,
      ),
    );
}

await main();
