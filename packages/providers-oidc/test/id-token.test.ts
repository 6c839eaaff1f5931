/**
 * The ID token checks of the code exchange, against an issuer that lies: a
 * signature by a key the issuer does not publish, another nonce, another
 * issuer, another audience, an expired token, or no ID token at all are each
 * refused; an honest token passes, so the refusals are the checks' doing.
 */
import { UpstreamError } from "@chuk-mcp/oauth";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { rejectionOf } from "../../oauth/test/helpers/rejection.js";
import { OidcOAuthProvider } from "../src/index.js";
import { type RogueIssuer, startRogueIssuer } from "./rogue-issuer.js";

const CALLBACK = "http://127.0.0.1:47998/oauth/callback";
const CLIENT_ID = "rogue-client";

let rogue: RogueIssuer;
let provider: OidcOAuthProvider;
beforeAll(async () => {
  rogue = await startRogueIssuer(CLIENT_ID);
  provider = await OidcOAuthProvider.discover({
    issuer: rogue.issuer,
    clientId: CLIENT_ID,
    clientSecret: "rogue-secret",
    redirectUri: CALLBACK,
  });
});
afterAll(() => rogue?.close());

/** An authorization started for real, and the issuer's redirect back (a code, our state, its iss). */
async function exchange(): Promise<Awaited<ReturnType<OidcOAuthProvider["finishAuthorization"]>>> {
  const start = await provider.startAuthorization({ state: "st", scopes: [] });
  const nonce = new URL(start.url).searchParams.get("nonce");
  const url = new URL(CALLBACK);
  url.searchParams.set("code", "a-code");
  url.searchParams.set("state", "st");
  url.searchParams.set("iss", rogue.issuer);
  if (rogue.next.claims?.nonce === "SENT") rogue.next = { ...rogue.next, claims: { ...rogue.next.claims, nonce } };
  return provider.finishAuthorization({
    url,
    state: "st",
    ...(start.codeVerifier === undefined ? {} : { codeVerifier: start.codeVerifier }),
    ...(start.extra === undefined ? {} : { extra: start.extra }),
  });
}

async function refused(): Promise<UpstreamError> {
  const err = await rejectionOf(exchange(), UpstreamError);
  expect(err.kind).toBe("upstream_error");
  return err;
}

describe("the ID token of the code exchange", () => {
  test("an honest one passes: its sub is the user", async () => {
    rogue.next = { claims: { nonce: "SENT" } };
    const grant = await exchange();
    expect(grant.identity).toEqual({ userId: "rogue-user" });
  });

  test("signed with a key the issuer does not publish: refused", async () => {
    rogue.next = { claims: { nonce: "SENT" }, signWith: "unpublished" };
    const err = await refused();
    expect(err.message).toContain("the ID token's signature does not check out with the upstream's keys");
  });

  test("another nonce (a replayed or injected ID token): refused", async () => {
    rogue.next = { claims: { nonce: "somebody-elses-nonce" } };
    expect((await refused()).message).toMatch(/unexpected ID Token "nonce" claim value/);
  });

  test("no nonce at all: refused", async () => {
    rogue.next = {};
    expect((await refused()).message).toMatch(/nonce/);
  });

  test("another issuer: refused", async () => {
    rogue.next = { claims: { nonce: "SENT", iss: "https://evil.example.com" } };
    expect((await refused()).message).toMatch(/"iss"/);
  });

  test("another audience: refused", async () => {
    rogue.next = { claims: { nonce: "SENT", aud: "another-client" } };
    expect((await refused()).message).toMatch(/"aud"/);
  });

  test("expired: refused", async () => {
    const past = Math.floor(Date.now() / 1000) - 3600;
    rogue.next = { claims: { nonce: "SENT", iat: past - 60, exp: past } };
    expect((await refused()).message).toMatch(/"exp"/);
  });

  test("missing from the answer: refused (a nonce was sent, so one is required)", async () => {
    rogue.next = { omit: true };
    expect((await refused()).message).toMatch(/id_token/);
  });

  test("no refusal message holds a token", async () => {
    rogue.next = { claims: { nonce: "SENT" }, signWith: "unpublished" };
    const err = await refused();
    expect(err.message).not.toContain("rogue-access-token");
    expect(err.message).not.toMatch(/eyJ/);
  });
});
