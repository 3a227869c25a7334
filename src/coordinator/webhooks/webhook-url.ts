/**
 * What a webhook URL may be: http or https, no credentials in it, and, when
 * the admin set `webhookAllowedHosts`, a host on that list. The dispatcher
 * never follows a redirect, so the host checked here is the host called.
 */
import { CortenError, MAX_WEBHOOK_URL_LENGTH } from '../../protocol/index.js';

export function checkWebhookUrl(text: string, allowedHosts: readonly string[] | null): string {
  const refuse = (why: string) => new CortenError('WEBHOOK_URL_REFUSED', `webhook URL refused: ${why}`);
  if (text.length > MAX_WEBHOOK_URL_LENGTH) throw refuse(`longer than ${MAX_WEBHOOK_URL_LENGTH} characters`);
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw refuse(`'${text.slice(0, 100)}' is not a URL`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw refuse('it must be http: or https:');
  if (url.username || url.password) throw refuse('it must not carry a user name or password');
  const host = url.hostname.toLowerCase();
  if (allowedHosts !== null && !allowedHosts.some((allowed) => hostMatches(host, allowed.toLowerCase()))) {
    throw refuse(`this coordinator calls only ${allowedHosts.join(', ') || 'no host'} (its --webhook-hosts)`);
  }
  url.hash = '';
  return url.toString();
}

function hostMatches(host: string, allowed: string): boolean {
  if (allowed.startsWith('*.')) return host.endsWith(allowed.slice(1));
  return host === allowed;
}
