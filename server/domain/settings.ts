/**
 * Deployment facts the rules need (where users reach the portal, where mail comes in), set once
 * at start-up from the validated config.
 */
export interface DomainSettings {
  publicUrl: string;
  /** Domain of the inbound mail addresses, e.g. desk.example.com: acme@desk.example.com. */
  inboundDomain: string | null;
}

let settings: DomainSettings = { publicUrl: 'http://localhost:3000', inboundDomain: null };

export function configureDomainSettings(next: DomainSettings): void {
  settings = { ...next, publicUrl: next.publicUrl.replace(/\/$/, '') };
}

export const linkUrl = (path: string): string => `${settings.publicUrl}${path}`;

/** A tenant's intake address (optionally per ticket type: acme+invoice@…), or null without inbound mail. */
export function inboundAddress(tenantCode: string, type?: string): string | null {
  if (!settings.inboundDomain) return null;
  return `${tenantCode}${type ? `+${type.replace('_', '-')}` : ''}@${settings.inboundDomain}`;
}

export const inboundDomain = (): string | null => settings.inboundDomain;
