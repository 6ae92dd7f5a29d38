/** Print the README's configuration table from the config schema: `npx tsx scripts/config-table.ts`. */
import { describeConfig } from '../server/config/config.js';

const rows = describeConfig().map(
  (r) => `| \`${r.name}\` | ${r.default ? `\`${r.default}\`` : ''} | ${r.description} |`,
);
process.stdout.write(['| Variable | Default | Meaning |', '| --- | --- | --- |', ...rows].join('\n') + '\n');
