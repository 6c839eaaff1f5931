/**
 * `POST /oauth/revoke` (RFC 7009) over real HTTP: a refresh token revokes its
 * whole grant, an access token its `jti`; only the owning client can revoke;
 * unknown and foreign tokens are answered 200 all the same.
 */
import { describe, expect, test } from "vitest";
import { modernPost } from "../helpers/mcp-requests.js";
import {
  jwtPayload,
  obtainTokens,
  preflight,
  refresh,
  revoke,
  saveClient,
  type Tokens,
  useClient,
} from "../helpers/oauth-flow.js";
import { useOAuthServer } from "../helpers/oauth-server.js";

const server = useOAuthServer();

async function whoami(token: string) {
  return modernPost(server.mcpUrl, "tools/call", { name: "whoami", arguments: {} }, { token });
}

describe("a refresh token", () => {
  test("revokes its grant: the token, its rotated successor and the grant's access tokens stop working", async () => {
    const { client, tokens } = await obtainTokens(server);
    const rotated = await refresh(server, client, tokens.refresh_token as string);
    const successor = rotated.body as unknown as Tokens;
    expect((await whoami(successor.access_token)).status).toBe(200);

    const response = await revoke(server, client, tokens.refresh_token as string, "refresh_token");
    expect(response.status).toBe(200);
    expect(response.body).toBeUndefined();
    expect(response.headers.get("cache-control")).toBe("no-store");

    expect(await server.middleware.store.isGrantRevoked(jwtPayload(tokens.access_token).gid as string)).toBe(true);
    expect((await refresh(server, client, successor.refresh_token as string)).body?.error).toBe("invalid_grant");
    expect((await whoami(successor.access_token)).status).toBe(401);
  });

  test("the hint only orders the lookups: a refresh token sent as access_token is still revoked", async () => {
    const { client, tokens } = await obtainTokens(server);
    expect((await revoke(server, client, tokens.refresh_token as string, "access_token")).status).toBe(200);
    expect((await refresh(server, client, tokens.refresh_token as string)).body?.error).toBe("invalid_grant");
  });

  test("of another client: 200, and nothing is revoked", async () => {
    const { client, tokens } = await obtainTokens(server);
    const other = await saveClient(server);
    expect((await revoke(server, other, tokens.refresh_token as string)).status).toBe(200);
    expect((await refresh(server, client, tokens.refresh_token as string)).status).toBe(200);
  });
});

describe("an access token", () => {
  test("revokes its jti until it expires; the grant's refresh token still works", async () => {
    const { client, tokens } = await obtainTokens(server);
    const claims = jwtPayload(tokens.access_token);
    expect((await revoke(server, client, tokens.access_token, "access_token")).status).toBe(200);
    expect(await server.middleware.store.isAccessTokenRevoked(claims.jti as string)).toBe(true);
    expect(await server.middleware.store.isGrantRevoked(claims.gid as string)).toBe(false);
    expect((await whoami(tokens.access_token)).status).toBe(401);
    expect((await refresh(server, client, tokens.refresh_token as string)).status).toBe(200);
  });

  test("without a hint, an access token is found too", async () => {
    const { client, tokens } = await obtainTokens(server);
    expect((await revoke(server, client, tokens.access_token)).status).toBe(200);
    expect(await server.middleware.store.isAccessTokenRevoked(jwtPayload(tokens.access_token).jti as string)).toBe(
      true,
    );
  });

  test("of another client: 200, and the jti is not revoked", async () => {
    const { tokens } = await obtainTokens(server);
    const other = await saveClient(server);
    expect((await revoke(server, other, tokens.access_token, "access_token")).status).toBe(200);
    expect(await server.middleware.store.isAccessTokenRevoked(jwtPayload(tokens.access_token).jti as string)).toBe(
      false,
    );
  });
});

describe("the request", () => {
  const client = useClient(server);

  test("an unknown or malformed token → 200 anyway", async () => {
    expect((await revoke(server, client, "A".repeat(43))).status).toBe(200);
    expect((await revoke(server, client, "not.a.jwt", "access_token")).status).toBe(200);
  });

  test("no token → invalid_request", async () => {
    const response = await revoke(server, client, "");
    expect(response.status).toBe(400);
    expect(response.body?.error).toBe("invalid_request");
  });

  test("client authentication is required as registered: a wrong secret → 401 invalid_client", async () => {
    const confidential = await saveClient(server, { authMethod: "client_secret_basic" });
    const response = await revoke(server, confidential, "x", undefined, {
      auth: { method: "client_secret_basic", secret: "wrong" },
    });
    expect(response.status).toBe(401);
    expect(response.body?.error).toBe("invalid_client");
    expect(response.headers.get("www-authenticate")).toMatch(/^Basic /);
  });

  test("a confidential client revokes with its secret", async () => {
    const confidential = await saveClient(server, { authMethod: "client_secret_post" });
    const { tokens } = await obtainTokens(server, { client: confidential });
    expect((await revoke(server, confidential, tokens.refresh_token as string)).status).toBe(200);
    expect((await refresh(server, confidential, tokens.refresh_token as string)).body?.error).toBe("invalid_grant");
  });

  test("CORS: any origin, and the preflight", async () => {
    const response = await revoke(server, client, "x", undefined, { headers: { origin: "https://app.example" } });
    expect(response.headers.get("access-control-allow-origin")).toBe("*");
    const answer = await preflight(`${server.origin}/oauth/revoke`, "POST", { origin: "https://app.example" });
    expect(answer.status).toBe(204);
    expect(answer.headers.get("access-control-allow-methods")).toContain("POST");
  });
});
