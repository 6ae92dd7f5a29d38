/** The thread id every mail about a ticket refers to, so mail clients group them and replies find it. */
export const threadId = (ticketId: unknown): string => `<ticket-${String(ticketId)}@backoffice-desk>`;
