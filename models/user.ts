import mongoose, { Schema, type InferSchemaType, type HydratedDocument } from 'mongoose';
import { optionalTenantRef, tenantScopePlugin } from './plugins/tenant-scope.js';

export const clientRoles = ['client_user', 'client_admin'] as const;
export const staffRoles = ['operator', 'team_lead', 'account_manager', 'admin'] as const;
export const roles = [...clientRoles, ...staffRoles] as const;
export type Role = (typeof roles)[number];
export type ClientRole = (typeof clientRoles)[number];
export type StaffRole = (typeof staffRoles)[number];
export const userStatuses = ['invited', 'active', 'disabled'] as const;
export type UserStatus = (typeof userStatuses)[number];

export const isClientRole = (role: string): role is ClientRole =>
  (clientRoles as readonly string[]).includes(role);

const userSchema = new Schema(
  {
    email: { type: String, required: true, unique: true, lowercase: true, trim: true, maxlength: 254 },
    name: { type: String, required: true, trim: true, maxlength: 120 },
    role: { type: String, required: true, enum: roles },
    /** Client users: their one tenant. Staff: null. */
    tenantId: optionalTenantRef(),
    /** Staff only: the client tenants this person serves. */
    tenantIds: { type: [{ type: 'ObjectId', ref: 'Tenant' }], default: [] },
    passwordHash: { type: String, default: null },
    status: { type: String, required: true, enum: userStatuses, default: 'active' },
    locale: { type: String, enum: ['en', 'it', 'da', null], default: null },
    /** Bumped on disable and password change: sessions carrying an older value are dead. */
    sessionVersion: { type: Number, required: true, default: 0 },
    lastLoginAt: { type: Date, default: null },
  },
  { timestamps: true },
);
userSchema.plugin(tenantScopePlugin);

export type UserAttrs = InferSchemaType<typeof userSchema>;
export type UserDoc = HydratedDocument<UserAttrs>;
export const User = mongoose.model('User', userSchema);
