/**
 * The file store shared by processes (here: two store objects on one path,
 * as `directory prune` and `revoke` or `key rotate` would be). Every write
 * takes `<path>.lock` and reads the document again under it, so no process
 * drops another's records: a prune never removes a revocation published at
 * the same moment (SPEC.md §11.6, "Concurrency and repetition").
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { createRevocation, recordId } from '../src/index.js';
import { createFileStore } from '../src/stores/file-store.js';
import { pruneIdentity } from '../src/trust/prune.js';
import { S0, makeWorld } from './helpers/world.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'bw-file-procs-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

it('a revocation published while another process prunes the same file is kept', async () => {
  const w = await makeWorld();
  const path = join(dir, 'directory.json');
  const pruner = createFileStore(path, { watch: false });
  const publisher = createFileStore(path, { watch: false });
  for (let i = 0; i < 20; i++) {
    // An expired key record to prune; the certificate and a live key record stay.
    const [cert, old] = await w.recordsOf(w.tool, { serial: 1, notAfter: S0 + 3600 });
    const [, live] = await w.recordsOf(w.tool, { serial: 2 + i, notAfter: S0 + 30 * 86_400 });
    for (const r of [cert!, old!, live!]) await pruner.put(w.tool.name, r);
    const revocation = await createRevocation(
      w.tool.signing,
      { name: w.tool.name, kid: w.tool.encryption.kid, reason: 'compromise' },
      { now: (S0 + 100 + i) * 1000 },
    );
    const [pruned] = await Promise.all([
      pruneIdentity(pruner, w.tool.name, w.policy, { now: S0 + 86_400, horizonSeconds: 3600 }),
      publisher.put(w.tool.name, revocation),
    ]);
    const stored = (await createFileStore(path, { watch: false }).list(w.tool.name)).map(recordId);
    expect(stored, `run ${i}`).toContain(recordId(revocation));
    expect(stored, `run ${i}`).not.toContain(recordId(old!));
    expect(pruned.remove.map((r) => r.id)).not.toContain(recordId(revocation));
  }
});

it('writers in two processes putting at once lose no record', async () => {
  const w = await makeWorld();
  const path = join(dir, 'directory.json');
  const [a, b] = [createFileStore(path, { watch: false }), createFileStore(path, { watch: false })];
  const records = await Promise.all(
    Array.from({ length: 40 }, (_, i) =>
      createRevocation(
        w.tool.signing,
        { name: w.tool.name, kid: w.tool.encryption.kid, reason: 'superseded' },
        { now: (S0 + i) * 1000 },
      ),
    ),
  );
  await Promise.all(records.map((r, i) => (i % 2 ? a : b).put(w.tool.name, r)));
  const stored = await createFileStore(path, { watch: false }).list(w.tool.name);
  expect(stored.map(recordId).sort()).toEqual(records.map(recordId).sort());
});
