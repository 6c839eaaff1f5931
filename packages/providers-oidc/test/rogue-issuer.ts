/**
 * A hand-written OpenID issuer that can lie, for the checks a real one never
 * makes us use: a discovery document and JWKS like any issuer's, and a token
 * endpoint whose next ID token the test scripts (signed with a key the JWKS
 * does not have, another nonce, another issuer or audience, or none at all).
 * Plus `startHttp`, a bare server answering every request with one handler.
 */
import { createPrivateKey, generateKeyPairSync, type KeyObject, sign } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { listenOnLoopback } from "../../oauth/test/helpers/loopback-server.js";

export interface RunningHttp {
  origin: string;
  close(): Promise<void>;
}

/** A server on 127.0.0.1 answering every request with `handler`. */
export async function startHttp(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<RunningHttp> {
  const { origin, close } = await listenOnLoopback(createServer(handler));
  return { origin, close };
}

/** What the next token answer carries. */
export interface NextIdToken {
  /** Claims over the defaults (`iss`, `sub`, `aud`, `iat`, `exp`); `undefined` removes one. */
  claims?: Record<string, unknown>;
  /** Sign with the published key (default) or another one. */
  signWith?: "published" | "unpublished";
  /** Leave the ID token out of the answer. */
  omit?: boolean;
}

export interface RogueIssuer extends RunningHttp {
  issuer: string;
  next: NextIdToken;
}

const rsaKey = (): KeyObject =>
  createPrivateKey(
    generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey.export({ type: "pkcs8", format: "pem" }),
  );

const b64 = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString("base64url");

/** Starts the issuer for client `clientId`. */
export async function startRogueIssuer(clientId: string): Promise<RogueIssuer> {
  const published = rsaKey();
  const unpublished = rsaKey();
  const state: { issuer: string; next: NextIdToken } = { issuer: "", next: {} };
  const http = await startHttp((req, res) => {
    const path = new URL(req.url ?? "/", "http://x").pathname;
    const json = (status: number, body: unknown) => {
      res.writeHead(status, { "content-type": "application/json" });
      res.end(JSON.stringify(body));
    };
    if (path === "/.well-known/openid-configuration") {
      json(200, {
        issuer: state.issuer,
        authorization_endpoint: `${state.issuer}/authorize`,
        token_endpoint: `${state.issuer}/token`,
        jwks_uri: `${state.issuer}/jwks`,
        response_types_supported: ["code"],
        subject_types_supported: ["public"],
        id_token_signing_alg_values_supported: ["RS256"],
        code_challenge_methods_supported: ["S256"],
      });
    } else if (path === "/jwks") {
      json(200, {
        keys: [{ ...published.export({ format: "jwk" }), kid: "k1", use: "sig", alg: "RS256" }].map(publicPart),
      });
    } else if (path === "/token" && req.method === "POST") {
      req.resume();
      const now = Math.floor(Date.now() / 1000);
      const claims: Record<string, unknown> = {
        iss: state.issuer,
        sub: "rogue-user",
        aud: clientId,
        iat: now,
        exp: now + 300,
      };
      for (const [name, value] of Object.entries(state.next.claims ?? {})) {
        if (value === undefined) delete claims[name];
        else claims[name] = value;
      }
      const input = `${b64({ alg: "RS256", kid: "k1", typ: "JWT" })}.${b64(claims)}`;
      const key = state.next.signWith === "unpublished" ? unpublished : published;
      const idToken = `${input}.${sign("sha256", Buffer.from(input), key).toString("base64url")}`;
      json(200, {
        access_token: "rogue-access-token",
        token_type: "Bearer",
        expires_in: 3600,
        ...(state.next.omit === true ? {} : { id_token: idToken }),
      });
    } else {
      json(404, { error: "not_found" });
    }
  });
  state.issuer = http.origin;
  return {
    ...http,
    issuer: http.origin,
    get next() {
      return state.next;
    },
    set next(value: NextIdToken) {
      state.next = value;
    },
  };
}

/** The public members of an RSA JWK. */
function publicPart(jwk: Record<string, unknown>): Record<string, unknown> {
  const { d: _d, p: _p, q: _q, dp: _dp, dq: _dq, qi: _qi, ...rest } = jwk;
  return rest;
}
