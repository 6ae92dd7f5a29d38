import { expect } from 'chai';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { servesAllTenants } from '../../../server/domain/auth/policy.js';
import { listStaff, setStaffStatus } from '../../../server/domain/auth/staff.js';
import { listTeam, setTeamMemberStatus } from '../../../server/domain/tenants/team.js';
import { tenantAccess } from '../../../server/domain/tenants/scope.js';
import { listTenants, suspendOffered } from '../../../server/domain/tenants/tenants.js';
import { ticketPageFlags } from '../../../server/domain/tickets/page-flags.js';
import { changeStatus } from '../../../server/domain/tickets/lifecycle.js';
import { signedInAgent } from '../../support/browser-session.js';
import { makeTenant, makeUser, makeWorld, type World } from '../../support/factories.js';
import { startTestPortal, type TestPortal } from '../../support/portal.js';
import { ctxOf, makeTicket } from '../../support/tickets.js';

/** Item 3 of #15: who may do what on a page is decided by the domain; templates read flags. */
describe('each display rule once: page flags from the domain', function () {
  this.timeout(60_000);
  let tp: TestPortal;
  let world: World;

  before(async () => {
    tp = await startTestPortal('display-flags');
    world = await makeWorld();
  });
  after(async () => {
    await tp?.stop();
  });

  it('the ticket page offers a reply unless the ticket is closed, Take when unassigned to staff who work it', async () => {
    const ticket = await makeTicket(world.users.acmeUser, world.acme, 'Flags');
    const op = ctxOf(world.users.operatorAcme, null);
    expect(ticketPageFlags(op, ticket)).to.include({
      canReply: true,
      canEdit: true,
      canTake: true,
      mine: false,
      staff: true,
    });
    expect(ticketPageFlags(ctxOf(world.users.acmeUser, world.acme), ticket)).to.include({
      canReply: true,
      canEdit: false,
      canTake: false,
      staff: false,
    });
    await changeStatus(op, ticket.number, 'resolved');
    const closed = await changeStatus(op, ticket.number, 'closed');
    expect(ticketPageFlags(op, closed).canReply).to.equal(false);
    const page = (
      await (
        await signedInAgent(tp.url, world.users.acmeUser.email)
      )
        .get(`/tickets/${ticket.number}`)
        .expect(200)
    ).text;
    expect(page).not.to.include('class="card form wide reply"');
  });

  it('the team page offers no status change on one own account, and enable on a disabled one', async () => {
    const admin = ctxOf(world.users.acmeAdmin, world.acme);
    const other = await makeUser({ role: 'client_user', tenantId: world.acme.id });
    await setTeamMemberStatus(admin, String(other._id), 'disabled');
    const members = await listTeam(admin);
    const self = members.find((m) => String(m._id) === String(world.users.acmeAdmin._id));
    const them = members.find((m) => String(m._id) === String(other._id));
    expect(self).to.include({ canChangeStatus: false });
    expect(them).to.include({ canChangeStatus: true, canEnable: true });
    const page = (await (await signedInAgent(tp.url, world.users.acmeAdmin.email)).get('/team').expect(200))
      .text;
    expect(page).not.to.include(`action="/team/${String(world.users.acmeAdmin._id)}/status"`);
    expect(page).to.include(`action="/team/${String(other._id)}/status"`);
  });

  it('the staff page offers enable on a disabled account, disable on any other', async () => {
    const admin = ctxOf(world.users.admin, null);
    const gone = await makeUser({ role: 'operator', tenantIds: [world.acme.id] });
    await setStaffStatus(admin, String(gone._id), 'disabled');
    const staff = await listStaff(admin);
    expect(staff.find((u) => String(u._id) === String(gone._id))).to.include({ canEnable: true });
    expect(staff.find((u) => String(u._id) === String(world.users.operatorAcme._id))).to.include({
      canEnable: false,
    });
  });

  it('no template decides these rules itself', () => {
    const files = (dir: string): string[] =>
      readdirSync(dir).flatMap((f) =>
        statSync(join(dir, f)).isDirectory() ? files(join(dir, f)) : [join(dir, f)],
      );
    const views = files('views')
      .map((f) => readFileSync(f, 'utf8'))
      .join('\n');
    expect(views).not.to.match(
      /\(eq ticket\.status "closed"\)|\(eq _id @root\.user\.userId\)|\(eq status "disabled"\)/,
    );
  });

  it('the tenants page offers suspend on an active client, activate on a suspended one', async () => {
    expect(suspendOffered('active')).to.equal(true);
    expect(suspendOffered('suspended')).to.equal(false);
    const gone = await makeTenant({ status: 'suspended' });
    const tenants = await listTenants(ctxOf(world.users.admin, null));
    expect(tenants.find((tn) => String(tn._id) === String(gone._id))).to.include({ canSuspend: false });
    expect(tenants.find((tn) => String(tn._id) === String(world.acme._id))).to.include({ canSuspend: true });
    const page = (
      await (await signedInAgent(tp.url, world.users.admin.email)).get('/admin/tenants').expect(200)
    ).text;
    const formOf = (id: unknown) =>
      page.slice(page.indexOf(`action="/admin/tenants/${String(id)}/status"`)).split('</form>')[0] ?? '';
    expect(formOf(gone._id)).to.include('name="status" value="active"');
    expect(formOf(world.acme._id)).to.include('name="status" value="suspended"');
  });

  it('the staff page says "all tenants" for the roles the tenant scope gives every tenant', async () => {
    const admin = ctxOf(world.users.admin, null);
    const staff = await listStaff(admin);
    for (const u of staff) expect(u.allTenants, `${u.email} (${u.role})`).to.equal(servesAllTenants(u.role));
    const { admin: boss, teamLead, operatorBoth, accountManager } = world.users;
    for (const u of [boss, teamLead, operatorBoth, accountManager]) {
      const row = staff.find((r) => String(r._id) === String(u._id));
      expect(row?.allTenants, `${u.email}: as the tenant scope says`).to.equal(
        tenantAccess(ctxOf(u, null)).all,
      );
    }
    expect(staff.find((u) => String(u._id) === String(world.users.admin._id))).to.include({
      allTenants: true,
    });
    expect(staff.find((u) => String(u._id) === String(world.users.operatorBoth._id))).to.include({
      allTenants: false,
    });
  });

  it('no template decides the tenant status offer or who serves every tenant', () => {
    const files = (dir: string): string[] =>
      readdirSync(dir).flatMap((f) =>
        statSync(join(dir, f)).isDirectory() ? files(join(dir, f)) : [join(dir, f)],
      );
    const views = files('views')
      .map((f) => readFileSync(f, 'utf8'))
      .join('\n');
    expect(views).not.to.match(/\(eq status "active"\)|\(eq role "admin"\)/);
  });
});
