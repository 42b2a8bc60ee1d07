/**
 * Cases 160-167: allowed-sender patterns (SPEC.md §7.1, §7 step 16). Each is
 * case 002's honest envelope (alice, 'spiffe://acme.example/agents/planner',
 * to bob) opened with one `allowedSenders` list: the outcome depends on the
 * pattern alone. The shape of a case is described in cases-valid.mjs.
 */
import { fail, ok, sealHonest } from './fixtures.mjs';

const PLANNER = 'spiffe://acme.example/agents/planner';

/** An honest envelope from alice opened with `allowedSenders` = `patterns`. */
const withPatterns = (id, name, description, spec, patterns, allowed) => ({
  id,
  name,
  description,
  spec,
  build: async ({ c, b, messageId }) => ({
    envelope: await sealHonest(c, b, messageId),
    open: { allowedSenders: patterns },
    expect: allowed ? ok(c) : fail('ERR_SENDER_NOT_ALLOWED'),
  }),
});

export const PATTERN_CASES = [
  withPatterns(
    160,
    'allowed-sender-star-needs-a-character',
    `allowedSenders ['${PLANNER}*']: \`*\` matches one or more characters, so it does not match '${PLANNER}', where nothing follows 'planner'.`,
    '§7 step 16, §7.1',
    [`${PLANNER}*`],
    false,
  ),
  withPatterns(
    161,
    'allowed-sender-star-one-character',
    `allowedSenders ['spiffe://acme.example/agents/planne*']: \`*\` matches the one character 'r'.`,
    '§7 step 16, §7.1',
    ['spiffe://acme.example/agents/planne*'],
    true,
  ),
  withPatterns(
    162,
    'allowed-sender-star-not-crossing-slash',
    `allowedSenders ['spiffe://acme.example/*']: \`*\` does not match the '/' in 'agents/planner'.`,
    '§7 step 16, §7.1',
    ['spiffe://acme.example/*'],
    false,
  ),
  withPatterns(
    163,
    'allowed-sender-double-star-crosses-slash',
    `allowedSenders ['spiffe://acme.example/**']: \`**\` matches 'agents/planner', '/' included.`,
    '§7 step 16, §7.1',
    ['spiffe://acme.example/**'],
    true,
  ),
  withPatterns(
    164,
    'allowed-sender-double-star-needs-a-character',
    `allowedSenders ['${PLANNER}**']: \`**\` matches one or more characters too, so not the empty run after 'planner'.`,
    '§7 step 16, §7.1',
    [`${PLANNER}**`],
    false,
  ),
  withPatterns(
    165,
    'allowed-sender-case-sensitive',
    `allowedSenders ['spiffe://acme.example/Agents/*']: patterns compare code points exactly, so 'Agents' does not match 'agents'.`,
    '§7 step 16, §7.1',
    ['spiffe://acme.example/Agents/*'],
    false,
  ),
  withPatterns(
    166,
    'allowed-sender-second-pattern',
    "allowedSenders ['spiffe://acme.example/tools/*', 'spiffe://*.example/agents/*']: the first does not match, the second does (its `*` matches 'acme' in the host); one match is enough.",
    '§7 step 16, §7.1',
    ['spiffe://acme.example/tools/*', 'spiffe://*.example/agents/*'],
    true,
  ),
  withPatterns(
    167,
    'allowed-sender-empty-list',
    'allowedSenders [] (given, but empty): no pattern, so no sender is allowed.',
    '§7 step 16',
    [],
    false,
  ),
];
