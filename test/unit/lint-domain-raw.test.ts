import { expect } from 'chai';
import { ESLint } from 'eslint';

/** The repository's own lint config, on a fixture string placed in the domain (or elsewhere). */
async function lint(code: string, filePath: string): Promise<string[]> {
  // The snippet's path is not a file of the project, so the type-aware rules (which need the
  // TypeScript project) are off here; the rule under test is syntactic.
  const eslint = new ESLint({
    overrideConfig: {
      languageOptions: { parserOptions: { projectService: false, project: null } },
      rules: {
        '@typescript-eslint/no-floating-promises': 'off',
        '@typescript-eslint/no-misused-promises': 'off',
      },
    },
  });
  const [result] = await eslint.lintText(code, { filePath });
  return (result?.messages ?? []).map((m) => `${m.ruleId ?? 'parse'}: ${m.message}`);
}

const rawAccess = /no-restricted-syntax: The domain does not touch raw collections/;

describe('lint: the domain reaches no raw collection', function () {
  this.timeout(60_000);

  it('fails a domain file that touches Model.collection, connection.db or mongoose.connection', async () => {
    const fixtures = [
      "import { Ticket } from '../../../models/ticket.js';\nexport const n = () => Ticket.collection.estimatedDocumentCount();\n",
      "import mongoose from 'mongoose';\nexport const d = () => mongoose.connection.db;\n",
      "import mongoose from 'mongoose';\nconst c = mongoose.connections[0];\nexport const d = () => c?.db?.collection('sessions');\n",
      "import { connection } from 'mongoose';\nexport const d = () => connection;\n",
    ];
    for (const code of fixtures) {
      const messages = await lint(code, 'server/domain/x/y.ts');
      expect(
        messages.some((m) => rawAccess.test(m)),
        `${code}\n${messages.join('\n')}`,
      ).to.equal(true);
    }
  });

  it('passes the scoped entry in the domain, and leaves raw access outside the domain alone', async () => {
    const scoped =
      "import { Ticket } from '../../../models/ticket.js';\nimport { scopedCollection } from '../../db/scoped-collection.js';\n" +
      'const tickets = scopedCollection(Ticket);\nexport const f = (tenantId: unknown) => tickets.findOne({ tenantId });\n';
    expect(await lint(scoped, 'server/domain/x/y.ts')).to.deep.equal([]);
    const raw =
      "import { Ticket } from '../../models/ticket.js';\nexport const n = () => Ticket.collection.estimatedDocumentCount();\n";
    expect(await lint(raw, 'server/db/y.ts')).to.deep.equal([]);
  });

  it('fails a domain file that imports an adapter (HTTP, sockets, inbound mail, jobs)', async () => {
    for (const adapter of [
      '../../http/forms.js',
      '../../realtime/broadcast.js',
      '../../inbound-mail/listener.js',
      '../../../jobs/sla-sweep.js',
    ]) {
      const messages = await lint(
        `import * as a from '${adapter}';\nexport const x = a;\n`,
        'server/domain/x/y.ts',
      );
      expect(
        messages.some((m) => /The domain layer does not import adapters/.test(m)),
        `${adapter}\n${messages.join('\n')}`,
      ).to.equal(true);
    }
  });
});
