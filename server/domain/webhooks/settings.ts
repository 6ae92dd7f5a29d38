/**
 * Deployment facts of webhook delivery, set once at start-up from the validated config
 * (WEBHOOK_ALLOW_HOSTS, WEBHOOK_TIMEOUT_MS). Tests set them the same way.
 */
export interface WebhookSettings {
  /**
   * Host names or IP addresses an admin allowed explicitly: plain http and private, loopback or
   * link-local targets are accepted for these (a receiver inside the provider's network, tests).
   */
  allowHosts: string[];
  /** How long one request may take, connection to last byte. */
  timeoutMs: number;
}

let settings: WebhookSettings = { allowHosts: [], timeoutMs: 10_000 };

export function configureWebhooks(next: Partial<WebhookSettings>): void {
  settings = {
    ...settings,
    ...next,
    allowHosts: (next.allowHosts ?? settings.allowHosts).map(normalHost).filter(Boolean),
  };
}

export const webhookSettings = (): WebhookSettings => settings;

/** Lower case, without the brackets of an IPv6 literal. */
export function normalHost(host: string): string {
  return host.trim().toLowerCase().replace(/^\[/, '').replace(/\]$/, '');
}

export function isAllowedHost(host: string): boolean {
  return settings.allowHosts.includes(normalHost(host));
}
