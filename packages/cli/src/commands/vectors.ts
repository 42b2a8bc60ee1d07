/**
 * `blindwire vectors verify`: checks the envelope test vectors
 * (test-vectors/README.md) against this installation's @blindwire/core, on
 * every crypto backend it exports and with both ways of trusting a sender;
 * stream cases also in each of the three feedings the README prescribes.
 * A case passes when it holds on all of them. `index.json`, when present,
 * must list exactly the case files with the outcome each states.
 */
import { stat } from 'node:fs/promises';
import { BlindwireError, ErrorCode, pureBackend, type CryptoBackend } from '@blindwire/core';
import { flag, optList, type CommandSpec } from '../args.js';
import { absolute } from '../files.js';
import { printJson, println } from '../io.js';
import { JSON_OPTION } from '../values.js';
import { checkCase, type TrustSource } from '../vectors/check-case.js';
import { checkStreamCase } from '../vectors/check-stream.js';
import { loadCaseDir } from '../vectors/load.js';

const TRUST: TrustSource[] = ['trustedSenders', 'resolveSender'];

async function loadBackends(): Promise<CryptoBackend[]> {
  const found: CryptoBackend[] = [pureBackend];
  for (const [path, name] of [
    ['@blindwire/core/backend/node', 'nodeBackend'],
    ['@blindwire/core/backend/web', 'webBackend'],
  ] as const) {
    try {
      const b = ((await import(path)) as Record<string, CryptoBackend | undefined>)[name];
      if (b && !found.some((x) => x.name === b.name)) found.push(b);
    } catch {
      // not exported by this version of core
    }
  }
  return found;
}

export const vectorsVerify: CommandSpec = {
  name: 'vectors verify',
  summary:
    'Verify the envelope and stream test vectors against this installation of @blindwire/core.',
  usage: '[DIR] [--backend NAME] [--json]',
  description: [
    'DIR holds the case files (NNN-name.json) and index.json; default ./test-vectors/cases. Each case is opened on every ' +
      'backend (or those named with --backend), with pinned senders and with a sender resolver, and must give exactly its ' +
      'expected outcome. A stream case is fed whole, cut at its "splits" and one byte per write; when it fails, what was ' +
      'released must be a prefix of its "releasable" bytes. Prints "N passed, M failed"; exits 1 when any case fails.',
  ],
  positionals: { name: 'DIR', min: 0, max: 1 },
  options: {
    backend: {
      type: 'string',
      multiple: true,
      value: 'NAME',
      description: 'Only this backend (pure, node, web).',
    },
    json: JSON_OPTION,
  },
  examples: ['blindwire vectors verify test-vectors/cases'],
  async run(ctx) {
    const dir = ctx.positionals[0] ?? 'test-vectors/cases';
    const abs = absolute(ctx.io, dir);
    const isDir = await stat(abs).then(
      (s) => s.isDirectory(),
      () => false,
    );
    if (!isDir)
      throw new BlindwireError(
        ErrorCode.InvalidArgument,
        `"DIR" expected a directory of test vectors, got ${dir}`,
      );
    let backends = await loadBackends();
    const wanted = optList(ctx, 'backend');
    if (wanted.length > 0) {
      backends = backends.filter((b) => wanted.includes(b.name));
      if (backends.length === 0)
        throw new BlindwireError(
          ErrorCode.Unsupported,
          `no backend named ${wanted.join(', ')} is available`,
        );
    }
    const { cases, failures, indexProblems } = await loadCaseDir(ctx.io, abs);
    let passed = 0;
    for (const [file, c] of cases) {
      const problems: string[] = [];
      const check = c.kind === 'stream' ? checkStreamCase : checkCase;
      for (const backend of backends) {
        for (const trust of TRUST) {
          const errs = await check(c, backend, trust).catch((e: unknown) => [
            `unreadable case: ${(e as Error)?.message ?? e}`,
          ]);
          problems.push(...errs.map((m) => `[${backend.name}, ${trust}] ${m}`));
        }
      }
      if (problems.length === 0) passed++;
      else failures.push({ file, problems });
    }
    const failed = failures.length + indexProblems.length;
    if (flag(ctx, 'json')) {
      printJson(ctx.io.stdout, {
        dir,
        backends: backends.map((b) => b.name),
        passed,
        failed,
        failures,
        index: indexProblems,
      });
    } else {
      for (const p of indexProblems) println(ctx.io.stderr, `FAIL ${p}`);
      for (const f of failures)
        for (const p of f.problems) println(ctx.io.stderr, `FAIL ${f.file} ${p}`);
      println(
        ctx.io.stdout,
        `${cases.size} cases in ${dir} on ${backends.map((b) => b.name).join(', ')} x ${TRUST.length} trust sources`,
      );
      println(ctx.io.stdout, `${passed} passed, ${failed} failed`);
    }
    return failed === 0 ? 0 : 1;
  },
};
