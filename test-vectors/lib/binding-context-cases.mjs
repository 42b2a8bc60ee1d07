/**
 * The binding-context vectors (SPEC.md §11b; test-vectors/README.md,
 * "Binding contexts"): destinations each binding writes, with the exact
 * context bytes, and destinations each binding refuses, with the code.
 * `parts` names what a binding starts from where its destination has parts
 * (AMQP exchange and routing key, HTTP method and request target, MCP method
 * and name).
 */

/** Destinations that give a context: [binding, destination, note, parts?, limits?]. */
export const VALID_CONTEXTS = [
  ['nats', 'orders.created', 'a NATS subject, the same for core NATS and JetStream'],
  ['nats', 'orders.eu.créé', 'a subject with non-ASCII characters, written as UTF-8'],
  ['nats', '$JS.EVENT.orders', 'a subject may start with $'],
  [
    'amqp',
    'orders/created.eu',
    'exchange orders, routing key created.eu',
    { exchange: 'orders', routingKey: 'created.eu' },
  ],
  [
    'amqp',
    '/refunds',
    'the default exchange (empty name), routing key = queue refunds',
    { exchange: '', routingKey: 'refunds' },
  ],
  [
    'amqp',
    'audit/',
    'a fanout exchange with the empty routing key',
    { exchange: 'audit', routingKey: '' },
  ],
  [
    'amqp',
    'tools/a/b',
    'the first / separates: the routing key may hold /',
    { exchange: 'tools', routingKey: 'a/b' },
  ],
  ['redis', 'orders:stream', 'a Redis stream key'],
  ['redis', 'queue of refunds', 'a stream key may hold spaces'],
  ['mqtt', 'factory/line-1/temperature', 'an MQTT topic name'],
  ['mqtt', 'a//b', 'an MQTT topic with an empty level'],
  ['kafka', 'orders.created', 'a Kafka topic; the partition is not part of it'],
  ['kafka', 'payments_v2-eu', 'a Kafka topic with _ and -'],
  ['http', 'POST /tools/refund', 'METHOD SP path', { method: 'POST', target: '/tools/refund' }],
  [
    'http',
    'POST /tools/refund',
    'the query is not part of the destination',
    { method: 'POST', target: '/tools/refund?dryRun=true' },
  ],
  [
    'http',
    'GET /files/a%20b',
    'the path as sent: percent-encoding is kept, never decoded',
    { method: 'GET', target: '/files/a%20b' },
  ],
  ['mcp', 'tools/call refund', 'a tool call', { method: 'tools/call', name: 'refund' }],
  [
    'mcp',
    'resources/read file:///srv/a b.txt',
    'a resource read names its URI; the name may hold spaces',
    { method: 'resources/read', name: 'file:///srv/a b.txt' },
  ],
  ['mcp', 'tools/list', 'a method that names nothing is written alone', { method: 'tools/list' }],
  [
    'nats',
    'abcdefghijklmn',
    'a context of exactly maxContextBytes (32) bytes',
    undefined,
    { maxContextBytes: 32 },
  ],
];

/** Inputs that are refused: [binding, destination, code, why, limits?]. */
export const INVALID_CONTEXTS = [
  ['NATS', 'orders.created', 'ERR_INVALID_ARGUMENT', 'binding tokens are lowercase'],
  ['jetstream', 'orders.created', 'ERR_INVALID_ARGUMENT', 'JetStream shares the nats token'],
  ['rabbitmq', 'orders/created', 'ERR_INVALID_ARGUMENT', 'RabbitMQ is amqp'],
  ['nats', '', 'ERR_INVALID_ARGUMENT', 'an empty destination'],
  ['nats', 'orders\ncreated', 'ERR_INVALID_ARGUMENT', 'a control character (U+000A)'],
  ['redis', 'orders\u0085', 'ERR_INVALID_ARGUMENT', 'a C1 control character (U+0085)'],
  ['redis', 'orders\u007f', 'ERR_INVALID_ARGUMENT', 'DEL (U+007F)'],
  ['redis', 'orders\ud800', 'ERR_INVALID_ARGUMENT', 'a lone surrogate has no UTF-8 encoding'],
  ['nats', 'orders.*', 'ERR_INVALID_ARGUMENT', 'a wildcard filter, not the subject published to'],
  ['nats', 'orders.>', 'ERR_INVALID_ARGUMENT', 'a wildcard filter'],
  ['nats', 'orders..created', 'ERR_INVALID_ARGUMENT', 'an empty token'],
  ['nats', '.orders', 'ERR_INVALID_ARGUMENT', 'an empty first token'],
  ['nats', 'orders created', 'ERR_INVALID_ARGUMENT', 'a space'],
  ['amqp', 'orders', 'ERR_INVALID_ARGUMENT', 'no / between exchange and routing key'],
  ['amqp', `${'e'.repeat(256)}/k`, 'ERR_INVALID_ARGUMENT', 'an exchange name over 255 bytes'],
  ['mqtt', 'factory/+/temperature', 'ERR_INVALID_ARGUMENT', 'a wildcard filter'],
  ['mqtt', 'factory/#', 'ERR_INVALID_ARGUMENT', 'a wildcard filter'],
  ['mqtt', '$share/workers/factory/t', 'ERR_INVALID_ARGUMENT', 'a shared-subscription filter'],
  [
    'kafka',
    'orders/created',
    'ERR_INVALID_ARGUMENT',
    'a character Kafka does not allow in a topic',
  ],
  ['kafka', '..', 'ERR_INVALID_ARGUMENT', 'a topic name Kafka refuses'],
  ['kafka', 't'.repeat(250), 'ERR_INVALID_ARGUMENT', 'a topic over 249 characters'],
  ['http', '/tools/refund', 'ERR_INVALID_ARGUMENT', 'no method'],
  ['http', 'POST tools/refund', 'ERR_INVALID_ARGUMENT', 'a path not starting with /'],
  ['http', 'POST /tools/refund?dryRun=true', 'ERR_INVALID_ARGUMENT', 'a query: cut it off first'],
  ['http', 'POST /a#b', 'ERR_INVALID_ARGUMENT', 'a fragment'],
  ['http', 'POST /a b', 'ERR_INVALID_ARGUMENT', 'a space in the path'],
  ['mcp', ' refund', 'ERR_INVALID_ARGUMENT', 'an empty method'],
  ['mcp', 'tools/call ', 'ERR_INVALID_ARGUMENT', 'an empty name after the space'],
  [
    'nats',
    'abcdefghijklmno',
    'ERR_LIMIT_EXCEEDED',
    'a context of 33 bytes over maxContextBytes 32',
    { maxContextBytes: 32 },
  ],
];
