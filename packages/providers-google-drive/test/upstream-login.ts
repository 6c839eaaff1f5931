/**
 * The upstream leg of a sign-in, driven by hand: the provider's authorization
 * URL is fetched from the stand-in (a signed-in Google user who approves),
 * and its redirect to our callback becomes the `UpstreamCallback` that
 * `finishAuthorization` takes — what our `/oauth/callback` does for real.
 */
import type { UpstreamCallback } from "@chuk-mcp/oauth";
import type { GoogleDriveOAuthProvider } from "../src/index.js";

/** Our callback URL in the provider tests (nothing listens there: the tests hand the redirect over). */
export const CALLBACK = "http://127.0.0.1:9/oauth/callback";

/** Starts an authorization, lets the stand-in answer it, and returns the callback for `finishAuthorization`. */
export async function upstreamCallback(
  provider: GoogleDriveOAuthProvider,
  adjust: (url: URL) => void = () => undefined,
): Promise<UpstreamCallback & { authorizationUrl: URL }> {
  const state = `state-${Math.random().toString(36).slice(2)}`;
  const start = await provider.startAuthorization({ state, scopes: ["drive.read"] });
  const authorizationUrl = new URL(start.url);
  adjust(authorizationUrl);
  const response = await fetch(authorizationUrl, { redirect: "manual" });
  const location = response.headers.get("location");
  if (response.status !== 302 || location === null) {
    throw new Error(`the stand-in answered the authorization with ${response.status}: ${await response.text()}`);
  }
  return {
    url: new URL(location),
    state,
    authorizationUrl,
    ...(start.codeVerifier === undefined ? {} : { codeVerifier: start.codeVerifier }),
    ...(start.extra === undefined ? {} : { extra: start.extra }),
  };
}
