import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import { Types } from 'mongoose';
import { PendingUpload } from '../../../models/pending-upload.js';
import { AppError, type FieldError } from '../../errors/app-error.js';
import { toAppError } from '../../errors/normalize.js';
import type { Ctx } from '../context.js';
import { mayAccessTenant } from '../tenants/scope.js';
import { attachmentRules, blobStore, safeFilename, sniffType, type IncomingFile } from './attachments.js';

/** Unclaimed pending uploads older than this are removed by the maintenance job. */
export const pendingUploadTtlMs = 24 * 3600_000;
/** A claim older than this was left by a request that died: the upload may be claimed again. */
const claimTimeoutMs = 10 * 60_000;

/** A kept file as the form shows it (a chip with a remove box). */
export interface PendingUploadView {
  id: string;
  filename: string;
  size: number;
}

/** The form's files: the ones kept from a refused submission (ids), those to drop, the new ones. */
export interface FormUploads {
  keptIds: string[];
  removedIds: string[];
  fresh: IncomingFile[];
}

export type CarryOutcome<T> =
  { ok: true; value: T } | { ok: false; error: AppError; pending: PendingUploadView[] };

/** Errors after which a form comes back to its author (handleForm's codes): its files stay. */
const formErrors = new Set(['validation', 'duplicate', 'conflict']);

/** Where a pending upload may be used: the browser session and the tenant of the form's ticket. */
export interface UploadScope {
  sessionId: string;
  tenantId: string;
}

/** The owner of a pending upload: tenant, person and browser session. The session id is stored hashed. */
function ownerOf(ctx: Ctx, scope: UploadScope) {
  if (ctx.actor.kind !== 'user' || !scope.sessionId)
    throw new AppError('forbidden', 'pending uploads belong to a signed-in session');
  if (!Types.ObjectId.isValid(scope.tenantId) || !mayAccessTenant(ctx, scope.tenantId))
    throw new AppError('not_found', 'not found');
  return {
    tenantId: new Types.ObjectId(scope.tenantId),
    userId: new Types.ObjectId(ctx.actor.userId),
    sessionKey: createHash('sha256').update(`pending-upload:${scope.sessionId}`).digest('hex'),
  };
}

const validIds = (ids: string[]): Types.ObjectId[] =>
  [...new Set(ids.filter((id) => Types.ObjectId.isValid(id) && /^[0-9a-f]{24}$/i.test(id)))].map(
    (id) => new Types.ObjectId(id),
  );

const viewOf = (row: { _id: Types.ObjectId; filename: string; size: number }): PendingUploadView => ({
  id: String(row._id),
  filename: row.filename,
  size: row.size,
});

async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/**
 * Keep the acceptable files of a refused submission for the caller's session. A file that is
 * itself refused is never stored: its error is returned, for the form to say so.
 */
async function keep(
  ctx: Ctx,
  owner: ReturnType<typeof ownerOf>,
  files: IncomingFile[],
  room: number,
): Promise<{ kept: PendingUploadView[]; refused: FieldError[] }> {
  const kept: PendingUploadView[] = [];
  const refused: FieldError[] = [];
  for (const file of files.slice(0, Math.max(0, room))) {
    const type = await sniffType(file).catch((err: unknown) => {
      refused.push(...toAppError(err).fields);
      return null;
    });
    if (!type) continue;
    const filename = safeFilename(file.filename, type.ext);
    // The row first, naming the id the bytes go under: whatever a crash leaves, the row leads the
    // sweep to it (bytes without a row would never be found).
    const fileId = new Types.ObjectId();
    const row = await PendingUpload.create({
      ...owner,
      fileId,
      filename,
      contentType: type.contentType,
      size: file.buffer.length,
    });
    try {
      await blobStore().put(
        file.buffer,
        filename,
        { tenantId: owner.tenantId, pending: true, contentType: type.contentType },
        fileId,
      );
    } catch (err) {
      await discard([row]).catch(() => undefined);
      throw err;
    }
    kept.push(viewOf(row));
  }
  if (kept.length) ctx.log.info({ files: kept.length }, 'uploads of a refused form kept');
  return { kept, refused };
}

/** Remove pending uploads: the bytes first, the row last (a row left behind still leads the sweep to them). */
async function discard(
  rows: Array<{ _id: Types.ObjectId; tenantId: Types.ObjectId; fileId: Types.ObjectId }>,
): Promise<void> {
  for (const row of rows) {
    await blobStore().remove(row.fileId);
    await PendingUpload.deleteOne({ _id: row._id, tenantId: row.tenantId });
  }
}

/**
 * Submit a form with files (a new ticket, a reply) so that a refused submission loses none of
 * them. The uploads kept from an earlier refusal (`keptIds`: only those of this tenant, person and
 * session count; the caller names the tenant its form writes to, one the caller may access) are
 * claimed, those ticked for removal dropped; `submit` gets the kept files and the new ones. When
 * it fails with a form error, the claimed uploads are released and the acceptable new files kept:
 * the outcome lists them for the re-rendered form. When it succeeds, the kept uploads are gone
 * (their bytes now belong to what `submit` stored). An id that is not the caller's, or no longer
 * kept, refuses the submission naming the attachments field: nothing is dropped silently.
 */
// Long function: one atomic-claim protocol, clearer whole than in pieces.
export async function carryUploads<T>(
  ctx: Ctx,
  scope: UploadScope,
  uploads: FormUploads,
  submit: (files: IncomingFile[]) => Promise<T>,
): Promise<CarryOutcome<T>> {
  const owner = ownerOf(ctx, scope);
  const removed = validIds(uploads.removedIds);
  if (removed.length) await discard(await PendingUpload.find({ ...owner, _id: { $in: removed } }).lean());
  const wanted = validIds(uploads.keptIds).filter((id) => !removed.some((r) => r.equals(id)));
  const claimed: Array<{
    _id: Types.ObjectId;
    tenantId: Types.ObjectId;
    fileId: Types.ObjectId;
    filename: string;
    size: number;
  }> = [];
  const release = async (): Promise<void> => {
    if (claimed.length)
      await PendingUpload.updateMany(
        { ...owner, _id: { $in: claimed.map((c) => c._id) } },
        { $set: { claimedAt: null } },
      );
  };
  try {
    const now = new Date();
    let missing = 0;
    const files: IncomingFile[] = [];
    for (const id of wanted) {
      // Atomic: of two submissions carrying the same upload, one gets it.
      const row = await PendingUpload.findOneAndUpdate(
        {
          ...owner,
          _id: id,
          $or: [{ claimedAt: null }, { claimedAt: { $lt: new Date(now.getTime() - claimTimeoutMs) } }],
        },
        { $set: { claimedAt: now } },
        { returnDocument: 'after' },
      ).lean();
      if (!row) {
        missing++;
        continue;
      }
      // Bytes a crash cut short (the row is written first): gone, like an expired upload.
      const buffer = await readAll(blobStore().open(row.fileId)).catch(() => null);
      if (!buffer || buffer.length !== row.size) {
        await discard([row]);
        missing++;
        continue;
      }
      claimed.push(row);
      files.push({ filename: row.filename, buffer });
    }
    if (missing) {
      throw new AppError('validation', 'a kept upload is not available', {
        messageKey: 'pending_uploads.gone',
        fields: [{ path: 'attachments', key: 'pending_uploads.gone' }],
      });
    }
    const value = await submit([...files, ...uploads.fresh]);
    // Used: the bytes were copied by `submit`. Left behind, the maintenance job removes them.
    await discard(claimed).catch((err: unknown) => ctx.log.warn({ err }, 'used pending uploads not removed'));
    return { ok: true, value };
  } catch (err) {
    await release();
    const error = toAppError(err);
    if (!formErrors.has(error.code)) throw err;
    const stillKept = claimed.map(viewOf);
    const fresh = await keep(ctx, owner, uploads.fresh, attachmentRules.maxFiles - stillKept.length);
    // A refused file is named on the form even when another field's error came first.
    const named = error.fields.some((f) => f.path === 'attachments');
    const shown =
      named || !fresh.refused.length
        ? error
        : new AppError(error.code, error.message, {
            messageKey: error.messageKey,
            params: error.params,
            fields: [...error.fields, fresh.refused[0]!],
            cause: error,
          });
    return { ok: false, error: shown, pending: [...stillKept, ...fresh.kept] };
  }
}

/** Remove pending uploads nobody came back for (and their bytes); the maintenance job's part. */
export async function purgeStalePendingUploads(now = new Date()): Promise<number> {
  const floor = new Date(now.getTime() - pendingUploadTtlMs);
  const stale = await PendingUpload.find({ createdAt: { $lt: floor } })
    .setOptions({ allTenants: true })
    .limit(500)
    .lean();
  await discard(stale);
  return stale.length;
}
