/**
 * `blindwire anchor create`: a new trust anchor, an organisation's root
 * signing key that certifies identities (design §5). The private key goes to
 * `--out` at mode 0600; the public anchor, what relying parties configure,
 * is printed or written to `--public-out`.
 */
import { createTrustAnchor, exportTrustAnchor } from '@blindwire/directory';
import { flag, optString, reqString, type CommandSpec } from '../args.js';
import { assertWritable, writeOutput } from '../files.js';
import { printJson, println } from '../io.js';
import { FORCE_OPTION, JSON_OPTION } from '../values.js';

export const anchorCreate: CommandSpec = {
  name: 'anchor create',
  summary: 'Create a trust anchor (a root signing key that certifies identities).',
  usage: 'NAME --out FILE [--public-out FILE] [--force] [--json]',
  description: [
    'NAME labels the anchor (for example "acme.example root"). The anchor file, private key included, is written with mode 0600: keep it offline. ' +
      'The public anchor is printed as JSON, or written to --public-out (mode 0644) for relying parties to configure.',
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
    force: FORCE_OPTION,
    json: {
      ...JSON_OPTION,
      description: 'With --public-out, print a JSON summary instead of text.',
    },
  },
  examples: [
    'blindwire anchor create "acme.example root" --out anchor.json --public-out anchor-public.json',
  ],
  async run(ctx) {
    const name = ctx.positionals[0]!;
    const out = reqString(ctx, 'out');
    const publicOut = optString(ctx, 'public-out');
    const force = flag(ctx, 'force');
    await assertWritable(ctx.io, out, { force, what: '--out' });
    if (publicOut !== undefined)
      await assertWritable(ctx.io, publicOut, { force, what: '--public-out' });
    const anchor = await createTrustAnchor(name);
    try {
      const secret = JSON.stringify(exportTrustAnchor(anchor, true), null, 2) + '\n';
      await writeOutput(ctx.io, out, secret, { mode: 0o600, force, what: '--out' });
    } finally {
      anchor.privateKey.fill(0);
    }
    const pub = exportTrustAnchor({
      name: anchor.name,
      kid: anchor.kid,
      publicKey: anchor.publicKey,
    });
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
