/**
 * The options every broker binding takes the same way: how it seals (the
 * sender, recipient names through the caller's resolvers, SPEC.md §4.5 and
 * §5.4) and whom it trusts when it opens (its key pairs, the trusted
 * senders, SPEC.md §7). Each binding's options extend these two and add its
 * own (context of a destination, broker size limit, events). Exported for
 * the bindings through `@blindwire/core/internal`.
 */
import type { RecipientKeySource } from '../consume/consumer-options.js';
import type { RecipientKey, SenderResolver } from '../envelope/open-options.js';
import type { Sender } from '../envelope/seal-options.js';
import type { PublicIdentity } from '../identity/identity.js';
import type { RecipientResolver, RecipientsResolver } from './recipients.js';

/** How a binding seals what it sends. */
export interface BindingSealingOptions {
  /** The sender of what the binding sends (an `Identity` fits). */
  sender?: Sender;
  /**
   * Resolves a recipient name given in `to` (a directory's `resolveRecipient`): its second
   * argument carries the envelope's bound context, so a directory policy requiring post-quantum
   * keys per context applies.
   */
  resolveRecipient?: RecipientResolver;
  /**
   * Resolves every name of one `to` together, used instead of `resolveRecipient` when given:
   * `(names, o) => directory.resolveRecipients(names, o)` picks one KEM for all of them (an
   * envelope has one KEM), where names resolved one by one can mix X-Wing and X25519 keys, which
   * `seal` refuses. It receives the same `{ context }` and answers one recipient per name, in order.
   */
  resolveRecipients?: RecipientsResolver;
}

/** Whom a binding opens for and whom it trusts. */
export interface BindingOpeningOptions {
  /** This endpoint's key pair(s) for opening; or `keySource`. */
  recipient?: RecipientKey | RecipientKey[];
  /** Where this endpoint's key pairs come from (a key rotator fits), asked again as they rotate. */
  keySource?: RecipientKeySource;
  /** Key ids refused although a key pair for them is held. */
  revokedKids?: Iterable<string>;
  /** Senders trusted by their pinned public identity; or `resolveSender`. */
  trustedSenders?: Pick<PublicIdentity, 'name' | 'signing'>[];
  /** Answers a sender's signing key by name and key id (a directory's `resolveSigningKey` fits). */
  resolveSender?: SenderResolver;
}
