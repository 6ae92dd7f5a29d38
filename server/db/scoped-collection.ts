import type {
  BulkWriteOptions,
  Collection,
  CountDocumentsOptions,
  Db,
  DeleteOptions,
  Document,
  Filter,
  FindOneAndUpdateOptions,
  FindOptions,
  InsertOneOptions,
  UpdateFilter,
  UpdateOptions,
} from 'mongodb';
import mongoose, { type Model } from 'mongoose';
import { hasTenantKey } from '../../models/plugins/tenant-scope.js';
import { AppError } from '../errors/app-error.js';

/**
 * The one way the domain reaches the driver's collections (lint refuses `.collection` and
 * `connection.db` in server/domain/). The plain mongoose queries are scoped by the model plugin
 * (models/plugins/tenant-scope.ts); the driver's collection bypasses it, so here the same checker
 * decides:
 *
 * - `scopedCollection(Model)`: every filter names `tenantId` (top level or inside `$and`), every
 *   inserted document carries it, and an upsert sets it. Anything else throws `tenant_scope_missing`.
 * - `crossTenant(Model, reason)`: a system job that works across tenants on purpose (the mail
 *   worker, the database's size); filters are free, inserted documents still carry `tenantId`.
 * - `unscopedCollection(Model, reason)` / `unscopedDb(reason)`: collections that are not
 *   tenant-owned (mail keys, counters, sessions, agenda's jobs, GridFS bytes).
 */

/** What is read of a mongoose model here (structural: every model's own generics fit). */
interface AnyModel {
  readonly collection: Model<unknown>['collection'];
  readonly schema: { path(path: string): unknown };
  readonly modelName: string;
}
type Raw = Collection<Document>;

function refuse(model: string, what: string): never {
  throw new AppError('tenant_scope_missing', `${model}.${what} without a tenant filter`);
}

function needReason(reason: string, fn: string): void {
  if (!reason || !reason.trim()) throw new Error(`${fn} needs the reason it is not tenant-scoped`);
}

export class ScopedCollection {
  /** @internal built by scopedCollection / crossTenant */
  constructor(
    private readonly model: AnyModel,
    private readonly scopeFilters: boolean,
  ) {}

  private get raw(): Raw {
    return this.model.collection as unknown as Raw;
  }

  get collectionName(): string {
    return this.raw.collectionName;
  }

  private filter(filter: Filter<Document>, op: string): Filter<Document> {
    if (this.scopeFilters && !hasTenantKey(filter as Record<string, unknown>))
      refuse(this.model.modelName, op);
    return filter;
  }

  private doc<D extends Document>(doc: D, op: string): D {
    const tenantId = (doc as { tenantId?: unknown }).tenantId;
    const required = Boolean(
      (this.model.schema.path('tenantId') as { isRequired?: boolean } | undefined)?.isRequired,
    );
    if (tenantId === undefined || (required && tenantId === null)) {
      throw new AppError(
        'tenant_scope_missing',
        `${this.model.modelName}.${op} of a document without tenantId`,
      );
    }
    return doc;
  }

  /** An upsert may insert: the document it would insert must get `tenantId` (from the filter's equality or the update). */
  private upsert(filter: Filter<Document>, update: UpdateFilter<Document>, op: string): void {
    const set = {
      ...(update.$setOnInsert as Document | undefined),
      ...(update.$set as Document | undefined),
    };
    const fromFilter = (filter as { tenantId?: unknown }).tenantId;
    const plain =
      fromFilter === null ||
      (fromFilter !== undefined &&
        (typeof fromFilter !== 'object' ||
          !Object.keys(fromFilter as object).some((k) => k.startsWith('$'))));
    if (!plain && set.tenantId === undefined) refuse(this.model.modelName, `${op} (upsert)`);
  }

  insertOne(doc: Document, options?: InsertOneOptions) {
    return this.raw.insertOne(this.doc(doc, 'insertOne'), options ?? {});
  }

  insertMany(docs: Document[], options?: BulkWriteOptions) {
    return this.raw.insertMany(
      docs.map((d) => this.doc(d, 'insertMany')),
      options ?? {},
    );
  }

  find(filter: Filter<Document>, options?: FindOptions) {
    return this.raw.find(this.filter(filter, 'find'), options);
  }

  findOne(filter: Filter<Document>, options?: FindOptions) {
    return this.raw.findOne(this.filter(filter, 'findOne'), options ?? {});
  }

  countDocuments(filter: Filter<Document>, options?: CountDocumentsOptions) {
    return this.raw.countDocuments(this.filter(filter, 'countDocuments'), options ?? {});
  }

  updateOne(filter: Filter<Document>, update: UpdateFilter<Document>, options?: UpdateOptions) {
    if (options?.upsert) this.upsert(filter, update, 'updateOne');
    return this.raw.updateOne(this.filter(filter, 'updateOne'), update, options ?? {});
  }

  /**
   * Several single-document updates in one command (an unordered bulk write, no upserts): each
   * filter is checked like updateOne's and answered on its own (by a unique index when it names
   * exactly its keys), where one updateMany with `$in` and another key scans on the engine.
   */
  updateEach(updates: Array<{ filter: Filter<Document>; update: UpdateFilter<Document> }>) {
    return this.raw.bulkWrite(
      updates.map((u) => ({ updateOne: { filter: this.filter(u.filter, 'updateEach'), update: u.update } })),
      { ordered: false },
    );
  }

  updateMany(filter: Filter<Document>, update: UpdateFilter<Document>, options?: UpdateOptions) {
    if (options?.upsert) this.upsert(filter, update, 'updateMany');
    return this.raw.updateMany(this.filter(filter, 'updateMany'), update, options ?? {});
  }

  findOneAndUpdate(
    filter: Filter<Document>,
    update: UpdateFilter<Document>,
    options: FindOneAndUpdateOptions = {},
  ) {
    if (options.upsert) this.upsert(filter, update, 'findOneAndUpdate');
    return this.raw.findOneAndUpdate(this.filter(filter, 'findOneAndUpdate'), update, {
      ...options,
      includeResultMetadata: false,
    });
  }

  deleteOne(filter: Filter<Document>, options?: DeleteOptions) {
    return this.raw.deleteOne(this.filter(filter, 'deleteOne'), options ?? {});
  }

  deleteMany(filter: Filter<Document>, options?: DeleteOptions) {
    return this.raw.deleteMany(this.filter(filter, 'deleteMany'), options ?? {});
  }

  /** The collection's size from its metadata: every tenant's rows, so only across tenants. */
  estimatedDocumentCount() {
    if (this.scopeFilters) refuse(this.model.modelName, 'estimatedDocumentCount');
    return this.raw.estimatedDocumentCount();
  }
}

function tenantOwned(model: AnyModel, fn: string): void {
  if (!model.schema.path('tenantId'))
    throw new Error(`${fn}: ${model.modelName} is not tenant-owned (use unscopedCollection)`);
}

/** The driver's collection of a tenant-owned model: every filter, insert and upsert names its tenant. */
export function scopedCollection(model: AnyModel): ScopedCollection {
  tenantOwned(model, 'scopedCollection');
  return new ScopedCollection(model, true);
}

/**
 * A tenant-owned collection used across tenants on purpose (a system job), with the reason;
 * greppable (`crossTenant(`). Inserted documents still carry `tenantId`.
 */
export function crossTenant(model: AnyModel, reason: string): ScopedCollection {
  needReason(reason, 'crossTenant');
  tenantOwned(model, 'crossTenant');
  return new ScopedCollection(model, false);
}

/**
 * The driver's collection of a model that is not tenant-owned (no `tenantId` in its schema), or
 * a collection no model describes, by name (undefined before the connection is up).
 */
export function unscopedCollection(model: AnyModel, reason: string): Raw;
export function unscopedCollection(name: string, reason: string): Raw | undefined;
export function unscopedCollection(model: AnyModel | string, reason: string): Raw | undefined {
  needReason(reason, 'unscopedCollection');
  if (typeof model === 'string') return mongoose.connection.db?.collection(model);
  if (model.schema.path('tenantId'))
    throw new Error(
      `unscopedCollection: ${model.modelName} is tenant-owned (use scopedCollection or crossTenant)`,
    );
  return model.collection as unknown as Raw;
}

/**
 * The database, for collections no model describes and none of which is tenant-owned (agenda's
 * jobs, sessions, GridFS); undefined before the connection is up.
 */
export function unscopedDb(reason: string): Db | undefined {
  needReason(reason, 'unscopedDb');
  return mongoose.connection.db;
}

/** A model's collection name (for `$lookup`), without handing out the collection. */
export function collectionNameOf(model: AnyModel): string {
  return model.collection.name;
}
