import { Application, LogLevel } from 'typedoc';
import { publicEntryPoints } from './typedoc.mjs';
const { entries } = publicEntryPoints();
const all = entries.map((e) => '/work/wt-docs/' + e.src);
const rep = all.filter((e) => e.includes('replay'));
for (const ep of [rep, [...rep, all[0]], [...rep, all[2]]]) {
  const app = await Application.bootstrapWithPlugins({
    entryPoints: ep,
    tsconfig: '/work/wt-docs/.tmp/typedoc/tsconfig.json',
    validation: { notExported: true, invalidLink: true, notDocumented: true },
    logLevel: LogLevel.Error,
    readme: 'none',
    skipErrorChecking: true,
  });
  const p = await app.convert();
  app.validate(p);
  console.log(ep.map((e) => e.slice(22)).join(','), app.logger.warningCount);
}
