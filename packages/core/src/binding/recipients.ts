/**
 * What every broker binding reads from a publish call the same way, before
 * sealing (SPEC.md §4.5): its recipients (`to`: keys as given, names through
 * the caller's `resolveRecipient`) and a caller-chosen message id (16 bytes,
 * or 32 lowercase hex digits). Exported for the bindings through
 * `@blindwire/core/internal`.
 */
import { fromHex } from '../bytes.js';
import type { Recipient } from '../envelope/seal-options.js';
import { BlindwireError, ErrorCode } from '../errors.js';

/**
 * What a binding tells the resolver about the envelope it seals: the bound
 * context (SPEC.md §11b), `null` for none, so that a directory policy that
 * requires post-quantum keys for some contexts (SPEC.md §5.4) can apply.
 */
export interface RecipientResolveOptions {
  /** Absent when the context is bytes (or unknown): a policy naming contexts then refuses. */
  context?: string | null;
}

/**
 * Resolves a recipient name (a directory's `resolveRecipient` fits: its
 * second argument takes the context).
 */
export type RecipientResolver = (
  name: string,
  options: RecipientResolveOptions,
) => Recipient | Promise<Recipient>;

/**
 * Resolves every recipient name of one publish together (a directory's
 * `resolveRecipients` fits): one answer per name, in order, so the resolver
 * can pick one KEM for all of them (SPEC.md §5.4: an envelope has one KEM).
 */
export type RecipientsResolver = (
  names: string[],
  options: RecipientResolveOptions,
) => readonly Recipient[] | Promise<readonly Recipient[]>;

/**
 * The recipients of `to`: keys as given, names through `resolveMany` (all
 * names at once, when given) or else `resolve` (one by one), with the
 * envelope's bound `context` (a string, or `null` for none; bytes are left
 * out, so a directory policy naming contexts refuses rather than downgrades).
 * No `to` or a name without a resolver is ERR_INVALID_ARGUMENT; a batch answer
 * that is not one recipient per name is ERR_TRANSPORT; a resolver that throws
 * anything but a BlindwireError is ERR_TRANSPORT (its error as the cause).
 */
export async function resolveRecipients(
  to: Recipient | string | readonly (Recipient | string)[] | undefined | null,
  resolve: RecipientResolver | undefined,
  context?: string | Uint8Array | null,
  resolveMany?: RecipientsResolver,
): Promise<Recipient[]> {
  if (to === undefined || to === null)
    throw new BlindwireError(ErrorCode.InvalidArgument, '"to" expected a recipient or names');
  const list = Array.isArray(to) ? (to as readonly (Recipient | string)[]) : [to as Recipient];
  // Keys only (the usual case): nothing to wait for.
  if (!list.some((r) => typeof r === 'string')) return Array.from(list) as Recipient[];
  const options: RecipientResolveOptions =
    typeof context === 'string' || context === null ? { context } : {};
  if (resolveMany) {
    const names = list.filter((r): r is string => typeof r === 'string');
    const found = await resolving(() => resolveMany(names, { ...options }));
    if (!Array.isArray(found) || found.length !== names.length)
      throw new BlindwireError(
        ErrorCode.Transport,
        `"resolveRecipients" expected ${names.length} recipient(s), one per name`,
      );
    let i = 0;
    return list.map((r) => (typeof r === 'string' ? (found[i++] as Recipient) : r));
  }
  return Promise.all(
    list.map(async (r) => {
      if (typeof r !== 'string') return r;
      if (!resolve)
        throw new BlindwireError(
          ErrorCode.InvalidArgument,
          '"resolveRecipient" expected a function to resolve recipient names',
        );
      return resolving(() => resolve(r, { ...options }));
    }),
  );
}

/** A resolver's answer; its own error (not a BlindwireError) is ERR_TRANSPORT with it as the cause. */
async function resolving<T>(call: () => T | Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (e) {
    if (e instanceof BlindwireError) throw e;
    throw new BlindwireError(ErrorCode.Transport, 'resolving a recipient failed', { cause: e });
  }
}

/** A caller's message id as 16 bytes (32 lowercase hex digits accepted), or undefined. */
export function messageIdOption(id: Uint8Array | string | undefined): Uint8Array | undefined {
  if (id === undefined || id instanceof Uint8Array) return id;
  if (typeof id === 'string' && /^[0-9a-f]{32}$/.test(id)) return fromHex(id);
  throw new BlindwireError(
    ErrorCode.InvalidArgument,
    '"messageId" expected 16 bytes or 32 lowercase hex digits',
  );
}
