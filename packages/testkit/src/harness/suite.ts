/**
 * The conformance suite every binding passes (the consumer rules of SPEC.md
 * §7b, the bound context of §11b, the blindness of §11c), registered with
 * vitest from one declaration: `defineConformanceSuite(vitest, suite)` adds
 * a `describe` per case with its `it`s; each `it` sets up a fresh run
 * (`suite.setup(kind)`), and closes its consumers and the run whatever the
 * outcome. The vitest functions are passed in so that the kit's build, which
 * plain-node children and the CLI load, never imports vitest.
 */
import { blindnessControl, blindnessOfWorkload } from './case-blindness.js';
import { crossContextCopies } from './case-context.js';
import { overLimitRefused } from './case-limits.js';
import { faultyConsumerCaught, nothingLost } from './case-nothing-lost.js';
import { oneIdAtOnce } from './case-concurrency.js';
import { redeliveryBeforeAck, replayAfterAck } from './case-replay.js';
import type {
  CaseName,
  ConformanceSuite,
  ConformanceTarget,
  InProcessConsumer,
  VitestApi,
} from './conformance-types.js';

type Body<T extends ConformanceTarget> = (
  s: ConformanceSuite<T>,
  t: T,
  expect: VitestApi['expect'],
  consumers: InProcessConsumer[],
) => Promise<void>;

/** Runs `body` on a fresh run for `kind`; closes its consumers, then the run. */
export async function withTarget<T extends ConformanceTarget>(
  s: ConformanceSuite<T>,
  kind: CaseName,
  expect: VitestApi['expect'],
  body: Body<T>,
): Promise<void> {
  s.assertReady();
  const t = await s.setup(kind);
  const consumers: InProcessConsumer[] = [];
  try {
    await body(s, t, expect, consumers);
  } finally {
    for (const c of consumers) await c.close();
    await t.close();
  }
}

/** Registers the six cases of `suite` (and the faulty-consumer case when declared). */
export function defineConformanceSuite<T extends ConformanceTarget>(
  vitest: VitestApi,
  suite: ConformanceSuite<T>,
): void {
  const { describe, it, expect } = vitest;
  const run = (kind: CaseName, body: Body<T>) => () => withTarget(suite, kind, expect, body);
  const d = (title: string, fn: () => void) =>
    describe.skipIf(suite.skip)(`${suite.name} conformance: ${title}`, fn);

  d('blindness', () => {
    it(
      'no plaintext window and no sender name in what the broker stored or forwarded',
      run('blindness', blindnessOfWorkload),
      120_000,
    );
    it(
      'the same reads find a plaintext and a sender name sent in the clear',
      run('blindness', blindnessControl),
    );
  });
  d('nothing lost', () => {
    it(
      'two SIGKILLs: every id committed once XOR dead-lettered with its reason',
      run('nothing-lost', nothingLost),
      300_000,
    );
    if (suite.faultyConsumer === true)
      it(
        'the same run catches a consumer that acknowledges on receipt: ids in flight at a kill are lost',
        run('faulty-consumer', faultyConsumerCaught),
        180_000,
      );
  });
  d('replay', () => {
    it(
      'a replay after the ack is refused: counted as a duplicate, handler not called',
      run('replay', replayAfterAck),
    );
    if (suite.redeliver)
      it(
        'a redelivery before the ack meets the held reservation: processed once',
        run('redelivery', redeliveryBeforeAck),
      );
  });
  d('cross-destination and cross-transport copies', () => {
    it(
      'ERR_CONTEXT_MISMATCH, in the dead-letter destination, bytes unchanged',
      run('context', crossContextCopies),
    );
  });
  d('over-limit refused before publish', () => {
    it(
      'ERR_LIMIT_EXCEEDED from every sealed publish verb, no crypto, nothing on the broker',
      run('limits', overLimitRefused),
    );
  });
  d('two consumers, one id at once', () => {
    it(
      'exactly one handler call per id across both consumers',
      run('concurrency', oneIdAtOnce),
      60_000,
    );
  });
}
