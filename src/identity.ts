import rules from '../pkg/models/identity.json';
import { Settings } from './settings';

/** The per-user forwarding settings: Grafana's standard jsonData keys, read by pkg/identity/identity.go. */
export interface IdentityJsonData {
  oauthPassThru?: boolean;
  sendUserHeader?: boolean;
  keepCookies?: string[];
}

export type IdentityKey = keyof IdentityJsonData;

/** Labels and explanations from pkg/models/identity.json, which the backend embeds too. */
export const IDENTITY_TEXT = Object.fromEntries(
  rules.settings.map((s) => [s.key, { label: s.label, description: s.description }])
) as Record<IdentityKey, { label: string; description: string }>;

export function identityOf(options: Settings): IdentityJsonData {
  return options.jsonData as IdentityJsonData;
}

export function withIdentity(options: Settings, patch: IdentityJsonData): Settings {
  return { ...options, jsonData: { ...options.jsonData, ...patch } };
}

/**
 * What the page says when forwarding and the data source's own credentials
 * are both set; Save & test says the same sentence (models.WinnerNote).
 */
export function winnerNote(options: Settings): string | undefined {
  const ownCredentials =
    options.basicAuth || Boolean(options.secureJsonFields?.apiKey) || Boolean(options.secureJsonData?.apiKey);
  if (!identityOf(options).oauthPassThru || !ownCredentials) {
    return undefined;
  }
  return `With Forward OAuth identity and an API key or basic auth both set, ${rules.winner}.`;
}

/**
 * Whether the data source forwards the signed-in user (models.Forwarding.On):
 * the backend then refuses live queries, since a stream polls once for every
 * viewer and has no single user to forward.
 */
export function forwardsIdentity(jsonData: IdentityJsonData | undefined): boolean {
  return jsonData?.oauthPassThru === true || jsonData?.sendUserHeader === true || (jsonData?.keepCookies?.length ?? 0) > 0;
}
