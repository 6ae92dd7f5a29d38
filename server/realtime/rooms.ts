/** Room names, in one place: every join goes through a server-side check first (handlers.ts). */
export const rooms = {
  user: (userId: string): string => `user:${userId}`,
  staffOfTenant: (tenantId: string): string => `staff:t:${tenantId}`,
  ticketStaff: (ticketId: string): string => `ticket:${ticketId}:staff`,
  ticketPublic: (ticketId: string): string => `ticket:${ticketId}:public`,
};

/** The ticket id of a ticket room, or null for any other room. */
export function ticketOfRoom(room: string): string | null {
  const match = /^ticket:([0-9a-f]{24}):(staff|public)$/.exec(room);
  return match?.[1] ?? null;
}
