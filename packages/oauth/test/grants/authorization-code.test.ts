/**
 * The `authorization_code` grant over real HTTP: single use (a replay
 * revokes what the first redemption issued), PKCE, redirect URI, client and
 * resource binding, expiry, and what is issued.
 */
import { describe, expect, test } from "vitest";
import {
  authorize,
  exchangeCode,
  jwtPayload,
  newPkce,
  refresh,
  saveClient,
  type TestClient,
  useClient,
} from "../helpers/oauth-flow.js";
import { useOAuthServer, withOAuthServer } from "../helpers/oauth-server.js";

const server = useOAuthServer();
const client = useClient(server);

async function codeFor(target: TestClient = client, scope?: string) {
  const result = await authorize(server, target, scope === undefined ? {} : { scope });
  return { code: result.code as string, verifier: result.pkce.verifier, result };
}

function expectError(response: Awaited<ReturnType<typeof exchangeCode>>, error: string) {
  expect(response.status).toBe(400);
  expect(response.body?.error).toBe(error);
  expect(response.body?.access_token).toBeUndefined();
}

describe("what is issued", () => {
  test("an RFC 9068 access token for this resource, user and client, with its grant id, and a refresh token", async () => {
    const { code, verifier } = await codeFor(client, "posts.write");
    const response = await exchangeCode(server, client, { code, verifier });
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({ token_type: "Bearer", expires_in: 900, scope: "posts.write" });
    expect(response.body?.refresh_token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const accessToken = String(response.body?.access_token);
    const [header = ""] = accessToken.split(".");
    expect(JSON.parse(Buffer.from(header, "base64url").toString()).typ).toBe("at+jwt");
    const claims = jwtPayload(accessToken);
    expect(claims).toMatchObject({
      iss: server.origin,
      aud: server.mcpUrl,
      sub: "dev:ada",
      client_id: client.clientId,
      scope: "posts.write",
    });
    expect(claims.gid).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });

  test("no refresh token for a client not registered for the refresh_token grant", async () => {
    const codeOnly = await saveClient(server, { grantTypes: ["authorization_code"] });
    const { code, verifier } = await codeFor(codeOnly);
    const response = await exchangeCode(server, codeOnly, { code, verifier });
    expect(response.status).toBe(200);
    expect(response.body?.refresh_token).toBeUndefined();
  });
});

describe("single use", () => {
  test("a replayed code → invalid_grant, and the refresh token and grant of the first redemption are revoked", async () => {
    const { code, verifier } = await codeFor();
    const first = await exchangeCode(server, client, { code, verifier });
    expect(first.status).toBe(200);
    const gid = jwtPayload(first.body?.access_token as string).gid as string;
    expect(await server.middleware.store.isGrantRevoked(gid)).toBe(false);

    expectError(await exchangeCode(server, client, { code, verifier }), "invalid_grant");
    expect(await server.middleware.store.isGrantRevoked(gid)).toBe(true);
    expectError(await refresh(server, client, first.body?.refresh_token as string), "invalid_grant");
  });

  test("of concurrent redemptions exactly one succeeds", async () => {
    const { code, verifier } = await codeFor();
    const answers = await Promise.all(
      Array.from({ length: 5 }, () => exchangeCode(server, client, { code, verifier })),
    );
    expect(answers.filter((a) => a.status === 200)).toHaveLength(1);
    expect(answers.filter((a) => a.body?.error === "invalid_grant")).toHaveLength(4);
  });

  test("an unknown code → invalid_grant", async () => {
    expectError(
      await exchangeCode(server, client, { code: "A".repeat(43), verifier: newPkce().verifier }),
      "invalid_grant",
    );
  });

  test("an expired code → invalid_grant", async () => {
    await withOAuthServer({ middleware: { authCodeTtl: 1 } }, async (short) => {
      const shortClient = await saveClient(short);
      const result = await authorize(short, shortClient);
      await new Promise((resolve) => setTimeout(resolve, 1100));
      const response = await exchangeCode(short, shortClient, {
        code: result.code as string,
        verifier: result.pkce.verifier,
      });
      expectError(response, "invalid_grant");
    });
  });
});

describe("PKCE", () => {
  test("a wrong verifier → invalid_grant, and the code is used up", async () => {
    const { code, verifier } = await codeFor();
    expectError(await exchangeCode(server, client, { code, verifier: newPkce().verifier }), "invalid_grant");
    expectError(await exchangeCode(server, client, { code, verifier }), "invalid_grant");
  });

  test("the challenge itself as the verifier (a plain downgrade) → invalid_grant", async () => {
    const pkce = newPkce();
    const result = await authorize(server, client, { pkce });
    expectError(
      await exchangeCode(server, client, { code: result.code as string, verifier: pkce.challenge }),
      "invalid_grant",
    );
  });

  test("a missing or malformed verifier → invalid_request, and the code survives", async () => {
    const { code, verifier } = await codeFor();
    const missing = await exchangeCode(server, client, { code, verifier: "" });
    expectError(missing, "invalid_request");
    expectError(await exchangeCode(server, client, { code, verifier: "short" }), "invalid_request");
    expect((await exchangeCode(server, client, { code, verifier })).status).toBe(200);
  });
});

describe("bindings", () => {
  test("a different redirect_uri than at authorization → invalid_grant", async () => {
    const { code, verifier } = await codeFor();
    expectError(
      await exchangeCode(server, client, { code, verifier, redirectUri: "http://127.0.0.1:1/other" }),
      "invalid_grant",
    );
  });

  test("redirect_uri may be left out only when the code went to the client's one registered URI", async () => {
    const { code, verifier } = await codeFor();
    expect((await exchangeCode(server, client, { code, verifier, redirectUri: null })).status).toBe(200);

    const loopback = await saveClient(server, { redirectUris: ["http://127.0.0.1:7000/cb"] });
    const other = await authorize(server, loopback, { redirectUri: "http://127.0.0.1:7001/cb" });
    expectError(
      await exchangeCode(server, loopback, {
        code: other.code as string,
        verifier: other.pkce.verifier,
        redirectUri: null,
      }),
      "invalid_grant",
    );
  });

  test("a code issued to another client → invalid_grant", async () => {
    const { code, verifier } = await codeFor();
    const thief = await saveClient(server, { redirectUris: [client.redirectUri] });
    expectError(await exchangeCode(server, thief, { code, verifier }), "invalid_grant");
  });

  test("a resource other than the code's → invalid_target; the same resource is fine", async () => {
    const first = await codeFor();
    const response = await exchangeCode(server, client, { ...first, resource: "https://other.example/mcp" });
    expect(response.status).toBe(400);
    expect(response.body?.error).toBe("invalid_target");

    const second = await codeFor();
    expect((await exchangeCode(server, client, { ...second, resource: server.mcpUrl })).status).toBe(200);
  });

  test("no code → invalid_request", async () => {
    const response = await exchangeCode(server, client, { code: "", verifier: newPkce().verifier });
    expectError(response, "invalid_request");
  });
});
