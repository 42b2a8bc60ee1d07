/**
 * Asserting rejections in tests: every rejection of Blindwire is a
 * `BlindwireError` with a stable code (SPEC.md §9). One meaning throughout:
 * the subject is a promise, or a function that throws or returns a promise
 * (`() => open(...)`); a sync throw and a rejection are the same outcome.
 *
 * - `rejection(x)`: the BlindwireError of the outcome; fails (throws) if x
 *   resolves or returns, or fails with anything that is not a BlindwireError.
 * - `expectCode(x, code, message?)`: `rejection`, and the code (and message) must match.
 * - `errorCode(x)`: the code of `rejection(x)`; `errorCodeSync(f)` for a sync call.
 * - `outcomeOf(p)` / `outcomeOfSync(f)`: never fail; report what happened as a
 *   string to compare: the error's code (or its message), or 'resolved' /
 *   'returned'. For tables of cases where some must succeed.
 *
 * The kit does not depend on @blindwire/core (core's tests depend on the kit),
 * so it recognises a BlindwireError by shape: an Error named 'BlindwireError'
 * with a string `code`. That holds for every copy of core's class, src/ or dist/.
 */

/** What the kit knows of a BlindwireError (core's class has this shape). */
export interface BlindwireErrorLike extends Error {
  readonly code: string;
}

/** Whether `e` is a BlindwireError (by shape, see above). */
export function isBlindwireErrorLike(e: unknown): e is BlindwireErrorLike {
  return (
    e instanceof Error &&
    e.name === 'BlindwireError' &&
    typeof (e as { code?: unknown }).code === 'string'
  );
}

/** A promise, or a call that throws, returns a promise, or returns. */
export type Subject = Promise<unknown> | (() => unknown);

const describeValue = (v: unknown) =>
  v instanceof Error ? `${v.name}: ${v.message}` : typeof v === 'object' ? 'an object' : typeof v;

async function settle(
  x: Subject,
): Promise<{ ok: true; value: unknown } | { ok: false; error: unknown }> {
  try {
    return { ok: true, value: await (typeof x === 'function' ? x() : x) };
  } catch (error) {
    return { ok: false, error };
  }
}

function blindwire(
  o: { ok: true; value: unknown } | { ok: false; error: unknown },
): BlindwireErrorLike {
  if (o.ok)
    throw new Error(
      `expected a rejection (a BlindwireError), got a result: ${describeValue(o.value)}`,
    );
  if (!isBlindwireErrorLike(o.error))
    throw new Error(`expected a BlindwireError, got ${describeValue(o.error)}`, { cause: o.error });
  return o.error;
}

/** The BlindwireError `x` fails with; throws (failing the test) if it succeeds or fails otherwise. */
export async function rejection<E extends BlindwireErrorLike = BlindwireErrorLike>(
  x: Subject,
): Promise<E> {
  return blindwire(await settle(x)) as E;
}

function checkCode(e: BlindwireErrorLike, code: string, message?: string | RegExp): void {
  const wrongMessage =
    typeof message === 'string'
      ? e.message !== message
      : message !== undefined && !message.test(e.message);
  if (e.code !== code || wrongMessage) {
    const want = message === undefined ? code : `${code} (${String(message)})`;
    throw new Error(`expected ${want}, got ${e.code} (${e.message})`, { cause: e });
  }
}

/**
 * `rejection(x)`, whose code must be `code` and, when given, whose message
 * must be exactly `message` (a string) or match it (a RegExp). Returns the error.
 */
export async function expectCode<E extends BlindwireErrorLike = BlindwireErrorLike>(
  x: Subject,
  code: string,
  message?: string | RegExp,
): Promise<E> {
  const e = await rejection<E>(x);
  checkCode(e, code, message);
  return e;
}

/** The code of the BlindwireError `x` fails with (as `rejection`, which see). */
export async function errorCode(x: Subject): Promise<string> {
  return (await rejection(x)).code;
}

/** The code of the BlindwireError `f()` throws; throws if it returns or throws anything else. */
export function errorCodeSync(f: () => unknown): string {
  let value: unknown;
  try {
    value = f();
  } catch (error) {
    return blindwire({ ok: false, error }).code;
  }
  return blindwire({ ok: true, value }).code;
}

/** What `p` settled to: the rejection's `code` (else its message, else its text), or 'resolved'. Never fails. */
export function outcomeOf(p: Promise<unknown>): Promise<string> {
  return p.then(
    () => 'resolved',
    (e: { code?: string; message?: string }) => e.code ?? e.message ?? String(e),
  );
}

/** What `f()` did: the thrown error's `code` (else its text), or 'returned'. Never fails. */
export function outcomeOfSync(f: () => unknown): string {
  try {
    f();
    return 'returned';
  } catch (e) {
    return (e as { code?: string }).code ?? String(e);
  }
}
