import { parseArgs } from 'node:util';
import { loadConfig } from '../config/config.js';
import { openDatabase } from '../db/database.js';
import { verifyAuditChain } from '../domain/audit/verify-audit-chain.js';
import { createStaff, staffInputSchema } from '../domain/auth/staff.js';
import { systemCtx, type Ctx } from '../domain/context.js';
import { configureDomainSettings } from '../domain/settings.js';
import { apiTokenInputSchema, createApiToken, tenantAdminCtx } from '../domain/tenants/api-tokens.js';
import { toAppError } from '../errors/normalize.js';
import { createLogger } from '../log.js';
import { seedDemo } from '../seed/demo.js';
import { DEMO_PASSWORD, demoUsers } from '../seed/demo-data.js';
import { promptHidden } from './prompt.js';

/**
 * `npm run cli -- <command>`: set-up tasks that work whether or not the portal is running
 * (they reuse its embedded engine for the same DATA_DIR, or start one of their own).
 */
const usage = `Usage: npm run cli -- <command> [options]

Commands:
  seed                                      create the demo organisation (not in production)
  admin:create --email E [--password P] [--name N]
                                            create an admin (prompts for the password when omitted)
  token:create --tenant CODE [--name N]     create an API token for the tenant and print it (shown once).
                                            It is created by, and acts for, the tenant's first active
                                            client admin (oldest account); a tenant without one is refused.
  audit:verify                              check the hash-chained audit trail (retention, holds, purges,
                                            erasure); exit code 1 and the first break's position if broken
`;

const out = (line: string): void => {
  process.stdout.write(`${line}\n`);
};

/** `audit:verify`: the hash-chained trail's check; exit code 1 when broken. */
async function verifyTrail(ctx: Ctx): Promise<number> {
  const verdict = await verifyAuditChain(ctx);
  if (verdict.ok) {
    out(`Audit trail intact: ${verdict.checked} chained entries checked from position ${verdict.from}.`);
    return 0;
  }
  const found = verdict.break;
  out(
    `Audit trail BROKEN at position ${found?.seq} (${found?.kind}${found?.entryId ? `, entry ${found.entryId}` : ''}); ${verdict.checked} entries before it intact.`,
  );
  return 1;
}

async function run(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  const { values } = parseArgs({
    args: rest,
    options: {
      email: { type: 'string' },
      password: { type: 'string' },
      name: { type: 'string' },
      tenant: { type: 'string' },
      help: { type: 'boolean' },
    },
    allowPositionals: false,
  });
  if (
    !command ||
    values.help ||
    !['seed', 'admin:create', 'token:create', 'audit:verify'].includes(command)
  ) {
    out(usage);
    return command ? 2 : 0;
  }
  const config = loadConfig();
  if (command === 'seed' && config.env === 'production') {
    process.stderr.write('seed refuses to run with NODE_ENV=production\n');
    return 2;
  }
  const log = createLogger({ ...config, logLevel: process.env.LOG_LEVEL ?? 'warn' });
  const db = await openDatabase(config, log);
  // Links in the mails a command queues (the demo tickets' confirmations) point at the portal as configured.
  configureDomainSettings({ publicUrl: config.publicUrl, inboundDomain: config.inboundMailDomain });
  const ctx = systemCtx(log, `cli:${command}`);
  try {
    if (command === 'seed') {
      await seedDemo(ctx);
      out('Demo data ready. Sign in at /login with any of these (password: ' + DEMO_PASSWORD + '):');
      for (const u of demoUsers)
        out(`  ${u.role.padEnd(16)} ${u.email.padEnd(26)} ${u.tenant ?? (u.serves ?? []).join(', ')}`);
      return 0;
    }
    if (command === 'audit:verify') return await verifyTrail(ctx);
    if (command === 'token:create') {
      if (!values.tenant) {
        process.stderr.write('token:create needs --tenant\n');
        return 2;
      }
      const adminCtx = await tenantAdminCtx(ctx, values.tenant);
      const { token, apiToken } = await createApiToken(
        adminCtx,
        apiTokenInputSchema.parse({ name: values.name ?? 'Command line' }),
      );
      out(
        `API token "${apiToken.name}" created for ${values.tenant}, acting as ${apiToken.createdBy.email}. It is shown only this once:`,
      );
      out(token);
      return 0;
    }
    const email = values.email;
    if (!email) {
      process.stderr.write('admin:create needs --email\n');
      return 2;
    }
    const password = values.password ?? (await promptHidden('Password for the new admin: '));
    const input = staffInputSchema.parse({ email, name: values.name ?? email.split('@')[0], role: 'admin' });
    const user = await createStaff(ctx, input, { password });
    out(`Admin ${user.email} created. Sign in at ${config.publicUrl}/login`);
    return 0;
  } catch (err) {
    const appError = toAppError(err);
    const detail = appError.fields.map((f) => `${f.path}: ${f.key}`).join(', ');
    process.stderr.write(
      `${command} failed: ${appError.code === 'internal' ? String(err) : appError.message}${detail ? ` (${detail})` : ''}\n`,
    );
    return 1;
  } finally {
    await db.close();
  }
}

run(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`${String(err)}\n`);
    process.exit(1);
  },
);
