import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { ConfigError, describeConfig, loadConfig } from '../../server/config/config.js';

describe('configuration', () => {
  it('fills defaults', () => {
    const config = loadConfig({});
    expect(config.port).to.equal(3000);
    expect(config.dataDir).to.equal('data');
    expect(config.seedDemo).to.equal(true);
    expect(config.publicUrl).to.equal('http://localhost:3000');
    expect(config.mongodbUri).to.equal(undefined);
  });

  it('keeps a development session secret in the data dir, so a restart signs nobody out; tests get one per process', () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'desk-secret-'));
    try {
      const first = loadConfig({ NODE_ENV: 'development', DATA_DIR: dataDir }).sessionSecret;
      expect(loadConfig({ NODE_ENV: 'development', DATA_DIR: dataDir }).sessionSecret).to.equal(first);
      expect(statSync(join(dataDir, 'session-secret')).mode & 0o777).to.equal(0o600);
      expect(loadConfig({ NODE_ENV: 'test', DATA_DIR: dataDir }).sessionSecret).to.not.equal(
        loadConfig({ NODE_ENV: 'test', DATA_DIR: dataDir }).sessionSecret,
      );
      expect(
        loadConfig({ NODE_ENV: 'development', DATA_DIR: dataDir, SESSION_SECRET: 'x'.repeat(40) })
          .sessionSecret,
      ).to.equal('x'.repeat(40));
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('reports every invalid setting at once', () => {
    try {
      loadConfig({ PORT: 'abc', MONGODB_URI: 'postgres://x', LOG_LEVEL: 'loud' });
      expect.fail('should throw');
    } catch (err) {
      expect(err).to.be.instanceOf(ConfigError);
      const problems = (err as ConfigError).problems.join('\n');
      expect(problems)
        .to.match(/PORT/)
        .and.match(/MONGODB_URI/)
        .and.match(/LOG_LEVEL/);
    }
  });

  it('requires a session secret in production and rejects unknown time zones', () => {
    expect(() => loadConfig({ NODE_ENV: 'production' })).to.throw(ConfigError, /SESSION_SECRET/);
    expect(() => loadConfig({ DEFAULT_TIME_ZONE: 'Mars/Olympus' })).to.throw(ConfigError, /time zone/);
  });

  it('describes every setting for the README', () => {
    const rows = describeConfig();
    expect(rows.map((r) => r.name)).to.include.members([
      'PORT',
      'MONGODB_URI',
      'DATA_DIR',
      'SEED_DEMO',
      'SMTP_URL',
    ]);
    for (const row of rows) expect(row.description, row.name).to.not.equal('');
  });
});

describe('README configuration table', () => {
  it('lists every setting with its default and meaning, as the code describes them', async () => {
    const { readFileSync } = await import('node:fs');
    const { fromRoot } = await import('../../server/paths.js');
    const readme = readFileSync(fromRoot('README.md'), 'utf8');
    for (const row of describeConfig()) {
      const line = `| \`${row.name}\` | ${row.default ? `\`${row.default}\`` : ''} | ${row.description} |`;
      expect(
        readme,
        `README row for ${row.name} (regenerate with npx tsx scripts/config-table.ts)`,
      ).to.include(line);
    }
  });
});
