/**
 * How each binding writes its destination in the bound context (SPEC.md
 * §11b): the form every destination must have, and writers for the three
 * bindings whose destination has parts (AMQP, HTTP, MCP). A destination is
 * taken as given: no case folding, Unicode normalisation or percent-decoding.
 */
import { utf8 } from '../bytes.js';
import { invalidArgument } from '../errors.js';

/** Whether `s` holds a C0 control, DEL or a C1 control (U+0000-U+001F, U+007F-U+009F; SPEC.md §11b). */
function hasControl(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c <= 0x1f || (c >= 0x7f && c <= 0x9f)) return true;
  }
  return false;
}
/** A lone UTF-16 surrogate: not a Unicode scalar value, so no UTF-8. */
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;
/** Kafka's legal topic names: 1 to 249 of these characters, and neither `.` nor `..`. */
const KAFKA_TOPIC = /^[A-Za-z0-9._-]{1,249}$/;
/** An HTTP method: an RFC 9110 §5.6.2 token. */
const HTTP_METHOD = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
/** AMQP 0-9-1 exchange names and routing keys are short strings: at most 255 bytes. */
const AMQP_SHORT_STRING = 255;

/** What is wrong with `destination` for `binding` (SPEC.md §11b), or undefined. */
export function destinationDefect(binding: string, destination: string): string | undefined {
  if (LONE_SURROGATE.test(destination)) return 'a lone UTF-16 surrogate';
  if (hasControl(destination)) return 'a control character';
  switch (binding) {
    case 'nats':
      return natsDefect(destination);
    case 'amqp':
      return amqpDefect(destination);
    case 'mqtt':
      return mqttDefect(destination);
    case 'kafka':
      return KAFKA_TOPIC.test(destination) && destination !== '.' && destination !== '..'
        ? undefined
        : 'a Kafka topic: 1 to 249 of A-Z a-z 0-9 . _ -, not . or ..';
    case 'http':
      return httpDefect(destination);
    case 'mcp':
      return mcpDefect(destination);
    default:
      return undefined; // redis: any stream key
  }
}

/** A NATS subject a message is published to: no space, no empty token, no wildcard token. */
function natsDefect(subject: string): string | undefined {
  if (subject.includes(' ')) return 'a NATS subject without spaces';
  for (const token of subject.split('.')) {
    if (token === '') return 'a NATS subject without empty tokens';
    if (token === '*' || token === '>')
      return 'the concrete subject a message was published to, not a wildcard filter';
  }
  return undefined;
}

/** `<exchange>/<routing key>`, split at the first `/`; each at most 255 bytes. */
function amqpDefect(destination: string): string | undefined {
  const slash = destination.indexOf('/');
  if (slash < 0)
    return '<exchange>/<routing key> (the default exchange written as the empty string)';
  if (
    utf8(destination.slice(0, slash)).length > AMQP_SHORT_STRING ||
    utf8(destination.slice(slash + 1)).length > AMQP_SHORT_STRING
  )
    return `an exchange and a routing key of at most ${AMQP_SHORT_STRING} bytes each`;
  return undefined;
}

/** An MQTT topic name a message is published to: no wildcard, not a shared subscription. */
function mqttDefect(topic: string): string | undefined {
  if (topic.includes('+') || topic.includes('#'))
    return 'the concrete topic a message was published to, not a wildcard filter';
  if (topic.startsWith('$share/')) return 'a topic name, not a $share/ subscription filter';
  return undefined;
}

/** `METHOD SP path`: a token, one space, a path from `/` without space, query or fragment. */
function httpDefect(destination: string): string | undefined {
  const space = destination.indexOf(' ');
  const method = space < 0 ? '' : destination.slice(0, space);
  const path = destination.slice(space + 1);
  if (!HTTP_METHOD.test(method) || !path.startsWith('/'))
    return 'METHOD SP path, the path starting with /';
  if (/[ ?#]/.test(path)) return 'a path without spaces, query or fragment';
  return undefined;
}

/** `<method>` or `<method> SP <name>`: a method without spaces, a non-empty name. */
function mcpDefect(destination: string): string | undefined {
  const space = destination.indexOf(' ');
  if (space === 0) return '<method> or <method> SP <name>, the method non-empty';
  if (space === destination.length - 1) return '<method> SP <name>, the name non-empty';
  return undefined;
}

/**
 * SPEC.md §11b: the AMQP destination `<exchange>/<routing key>`; the default
 * exchange is the empty string. An exchange name holding `/` cannot be
 * written unambiguously and is refused.
 */
export function amqpDestination(exchange: string, routingKey: string): string {
  if (typeof exchange !== 'string' || exchange.includes('/'))
    throw invalidArgument('exchange', 'an exchange name without /');
  if (typeof routingKey !== 'string') throw invalidArgument('routingKey', 'a string');
  return `${exchange}/${routingKey}`;
}

/**
 * SPEC.md §11b: the HTTP destination `METHOD SP path` from a request target in
 * origin form (`/tools/refund?dry=1`): the query and any fragment are cut
 * off; the path is kept as sent, percent-encoding and case included.
 */
export function httpDestination(method: string, target: string): string {
  if (typeof method !== 'string' || !HTTP_METHOD.test(method))
    throw invalidArgument('method', 'an HTTP method token');
  if (typeof target !== 'string' || !target.startsWith('/'))
    throw invalidArgument('target', 'a request target in origin form, starting with /');
  return `${method} ${target.split(/[?#]/, 1)[0]!}`;
}

/**
 * SPEC.md §11b: the MCP destination `<method> SP <name>` (`tools/call refund`,
 * `prompts/get summary`, `resources/read file:///a.txt`), or the method alone
 * for a method that names no tool, prompt or resource.
 */
export function mcpDestination(method: string, name?: string): string {
  if (typeof method !== 'string' || method === '' || method.includes(' '))
    throw invalidArgument('method', 'an MCP method name without spaces');
  if (name === undefined) return method;
  if (typeof name !== 'string' || name === '') throw invalidArgument('name', 'a non-empty name');
  return `${method} ${name}`;
}
