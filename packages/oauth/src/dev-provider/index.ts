/** The development upstream provider: a login that accepts any username, for development and tests only. */

export type { DevTokenCounters } from "./dev-idp-store.js";
export {
  DEV_CLIENT_ID,
  DevOAuthProvider,
  type DevOAuthProviderOptions,
  type DevProviderLogger,
} from "./dev-oauth-provider.js";
