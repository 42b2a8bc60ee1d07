/**
 * `blindwire anchor create`: a new trust anchor, an organisation's root
 * signing key that certifies identities (SPEC.md §11.1). The private key goes to
 * `--out` at mode 0600; the public anchor, what relying parties configure,
 * is printed or written to `--public-out`.
 */
import { createTrustAnchor, exportTrustAnchor, trustAnchorPublic } from '@blindwire/directory';
import { UsageError, flag, optList, optString, reqString, type CommandSpec } from '../args.js';
import { assertWritable, writeOutput } from '../files.js';
import { printJson, println } from '../io.js';
import { FORCE_OPTION, JSON_OPTION } from '../values.js';

export const anchorCreate: CommandSpec = {
  name: 'anchor create',
  summary: 'Create a trust anchor (a root signing key that certifies identities).',
  usage: 'NAME --out FILE [--public-out FILE] [--names PATTERN]... [--force] [--json]',
  description: [
    'NAME labels the anchor (for example "acme.example root"). The anchor file, private key included, is written with mode 0600: keep it offline. ' +
      'The public anchor is printed as JSON, or written to --public-out (mode 0644) for relying parties to configure.',
    'With --names, the anchor speaks only for identity names that match one of the patterns (* matches one or more characters other than /, ** any run; only plain URIs are covered): ' +
      'relying parties that trust it ignore its certificates and revocations for other names.',
  ],
  positionals: { name: 'NAME', min: 1, max: 1 },
  options: {
    out: {
      type: 'string',
      short: 'o',
      value: 'FILE',
      description: 'Where to write the anchor with its private key (mode 0600). Required.',
    },
    'public-out': {
      type: 'string',
      value: 'FILE',
      description: 'Write the public anchor here instead of printing it.',
    },
    names: {
      type: 'string',
      multiple: true,
      value: 'PATTERN',
      description:
        'Name constraint: the identity names this anchor may certify, e.g. "spiffe://acme.example/**"; repeatable. Default: any name.',
    },
    force: FORCE_OPTION,
    json: {
      ...JSON_OPTION,
      description: 'With --public-out, print a JSON summary instead of text.',
    },
  },
  examples: [
    'blindwire anchor create "acme.example root" --out anchor.json --public-out anchor-public.json',
    'blindwire anchor create "acme.example root" --names "spiffe://acme.example/**" --out anchor.json --public-out anchor-public.json',
  ],
  async run(ctx) {
    const name = ctx.positionals[0]!;
    const out = reqString(ctx, 'out');
    const publicOut = optString(ctx, 'public-out');
    const force = flag(ctx, 'force');
    const names = optList(ctx, 'names');
    if (names.some((n) => n.length === 0))
      throw new UsageError('--names expected a non-empty pattern', ctx.command);
    await assertWritable(ctx.io, out, { force, what: '--out' });
    if (publicOut !== undefined)
      await assertWritable(ctx.io, publicOut, { force, what: '--public-out' });
    const anchor = await createTrustAnchor(name);
    if (names.length > 0) anchor.names = names;
    try {
      const secret = JSON.stringify(exportTrustAnchor(anchor, true), null, 2) + '\n';
      await writeOutput(ctx.io, out, secret, { mode: 0o600, force, what: '--out' });
    } finally {
      anchor.privateKey.fill(0);
    }
    const pub = exportTrustAnchor(trustAnchorPublic(anchor));
    if (publicOut === undefined) {
      printJson(ctx.io.stdout, pub);
      return 0;
    }
    await writeOutput(ctx.io, publicOut, JSON.stringify(pub, null, 2) + '\n', {
      mode: 0o644,
      force,
      what: '--public-out',
    });
    if (flag(ctx, 'json')) {
      printJson(ctx.io.stdout, { name: pub.name, kid: pub.kid, out, publicOut });
    } else {
      println(ctx.io.stdout, `created trust anchor ${JSON.stringify(pub.name)} kid ${pub.kid}`);
      println(ctx.io.stdout, `  private: ${out} (mode 0600, keep it offline)`);
      println(ctx.io.stdout, `  public:  ${publicOut} (configure relying parties with this one)`);
    }
    return 0;
  },
};
