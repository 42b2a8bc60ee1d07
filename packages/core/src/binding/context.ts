/**
 * The canonical bound context of a broker or tool binding (SPEC.md §11b):
 * `blindwire/<binding>/v1 <destination>`, derived by both ends from the
 * destination a message is published to, so that an envelope moved to another
 * destination or another transport fails with ERR_CONTEXT_MISMATCH. One
 * function, so that every binding (and every other implementation, through the
 * vectors in test-vectors/binding-contexts.json) writes the same bytes.
 */
import { utf8 } from '../bytes.js';
import { BlindwireError, ErrorCode, invalidArgument } from '../errors.js';
import type { Limits } from '../limits.js';
import { limitsOf } from '../envelope/common-options.js';
import { destinationDefect } from './destinations.js';

/**
 * The registered binding tokens (SPEC.md §11b), one per transport family:
 * core NATS and JetStream share `nats` (a JetStream stream stores what is
 * published on NATS subjects, so one message crosses both).
 */
export const BINDINGS = ['nats', 'amqp', 'redis', 'mqtt', 'kafka', 'http', 'mcp'] as const;
/** A binding with a context of its own in SPEC.md §11b. */
export type BindingName = (typeof BINDINGS)[number];

/** Options of `bindingContext`. */
export interface BindingContextOptions {
  /** `maxContextBytes` bounds the whole context (SPEC.md §8); other limits are ignored. */
  limits?: Partial<Limits>;
}

/** Whether `binding` is a registered token (SPEC.md §11b). */
export function isBindingName(binding: unknown): binding is BindingName {
  return typeof binding === 'string' && (BINDINGS as readonly string[]).includes(binding);
}

/**
 * SPEC.md §11b: `blindwire/<binding>/v1 <destination>`, checked: the binding
 * is a registered token, the destination a non-empty string without control
 * characters and of its binding's form (ERR_INVALID_ARGUMENT), and the whole
 * context, as UTF-8, at most `maxContextBytes` (ERR_LIMIT_EXCEEDED).
 */
export function bindingContext(
  binding: BindingName,
  destination: string,
  options: BindingContextOptions = {},
): string {
  if (!isBindingName(binding))
    throw invalidArgument('binding', `one of ${BINDINGS.join(', ')}`, JSON.stringify(binding));
  if (typeof destination !== 'string' || destination.length === 0)
    throw invalidArgument('destination', 'a non-empty string');
  const defect = destinationDefect(binding, destination);
  if (defect !== undefined) throw invalidArgument('destination', `${defect} (${binding})`);
  const limits = limitsOf(options);
  const context = `blindwire/${binding}/v1 ${destination}`;
  const length = utf8(context).length;
  if (length > limits.maxContextBytes) {
    throw new BlindwireError(
      ErrorCode.LimitExceeded,
      `context of ${length} bytes exceeds maxContextBytes ${limits.maxContextBytes}`,
    );
  }
  return context;
}
