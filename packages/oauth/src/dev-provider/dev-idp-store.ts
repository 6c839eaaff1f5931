/**
 * What the development identity provider remembers: its authorization codes,
 * access tokens and refresh tokens, in process memory. The development
 * provider is single-process and for development only: a restart forgets
 * every upstream token (users log in again), and two instances behind a load
 * balancer would not know each other's tokens.
 *
 * Tokens and codes are opaque random strings, kept only as their SHA-256 (as
 * the real store does), so even a heap dump holds nothing to replay.
 */
import { randomUUID } from "node:crypto";
import { generateOpaqueToken, hashOpaqueToken } from "../tokens/opaque.js";

/** Who a token or code belongs to. */
export interface DevUser {
  /** `dev:<username>`: the `sub` the provider reports. */
  userId: string;
  username: string;
}

/** An authorization code waiting to be exchanged. */
export interface DevCode extends DevUser {
  redirectUri: string;
  codeChallenge: string;
  scope: string;
  expiresAt: number;
}

/** An access or refresh token. */
export interface DevToken extends DevUser {
  scope: string;
  /** Every token issued from one code shares it: a replayed code revokes them all. */
  grantId: string;
  expiresAt: number;
}

/** How many token requests of each grant type were served to the authenticated client (successful or not). */
export interface DevTokenCounters {
  authorization_code: number;
  refresh_token: number;
}

/** What a code exchange found. */
export type CodeRedemption =
  | { status: "ok"; code: DevCode; grantId: string }
  | { status: "replayed" }
  | { status: "unknown" };

/** Tokens just issued, as the token endpoint answers them. */
export interface IssuedDevTokens {
  accessToken: string;
  refreshToken: string | undefined;
  expiresIn: number;
  scope: string;
}

/** Lifetimes, in seconds. */
export interface DevIdpLifetimes {
  code: number;
  accessToken: number;
  /** `undefined`: no refresh tokens are issued. */
  refreshToken: number | undefined;
}

export class DevIdpStore {
  readonly #lifetimes: DevIdpLifetimes;
  readonly #codes = new Map<string, DevCode>();
  /** Redeemed codes (hash → grant) until they would have expired: a second use is a replay. */
  readonly #redeemed = new Map<string, { grantId: string; expiresAt: number }>();
  readonly #accessTokens = new Map<string, DevToken>();
  readonly #refreshTokens = new Map<string, DevToken>();
  readonly #counters: DevTokenCounters = { authorization_code: 0, refresh_token: 0 };

  constructor(lifetimes: DevIdpLifetimes) {
    this.#lifetimes = lifetimes;
  }

  get counters(): Readonly<DevTokenCounters> {
    return Object.freeze({ ...this.#counters });
  }

  count(grant: keyof DevTokenCounters): void {
    this.#counters[grant] += 1;
  }

  /** A new single-use code for `user`, bound to the redirect URI and the PKCE challenge. */
  issueCode(details: Omit<DevCode, "expiresAt">): string {
    this.#sweep();
    const code = generateOpaqueToken();
    this.#codes.set(hashOpaqueToken(code), { ...details, expiresAt: Date.now() + this.#lifetimes.code * 1000 });
    return code;
  }

  /** Consumes a code: it works once, whatever the outcome of the exchange that presents it. */
  redeemCode(code: string): CodeRedemption {
    const key = hashOpaqueToken(code);
    const found = this.#codes.get(key);
    this.#codes.delete(key);
    if (found !== undefined && found.expiresAt > Date.now()) {
      const grantId = randomUUID();
      this.#redeemed.set(key, { grantId, expiresAt: found.expiresAt });
      return { status: "ok", code: found, grantId };
    }
    const redeemed = this.#redeemed.get(key);
    if (redeemed !== undefined) {
      // RFC 6749 §4.1.2: a code used twice revokes what it was exchanged for.
      this.#revokeWhere((token) => token.grantId === redeemed.grantId);
      return { status: "replayed" };
    }
    return { status: "unknown" };
  }

  /** An access token (and a refresh token, when enabled) for a grant. */
  issueTokens(user: DevUser, scope: string, grantId: string): IssuedDevTokens {
    this.#sweep();
    const now = Date.now();
    const accessToken = generateOpaqueToken();
    const base = { userId: user.userId, username: user.username, scope, grantId };
    this.#accessTokens.set(hashOpaqueToken(accessToken), {
      ...base,
      expiresAt: now + this.#lifetimes.accessToken * 1000,
    });
    let refreshToken: string | undefined;
    if (this.#lifetimes.refreshToken !== undefined) {
      refreshToken = generateOpaqueToken();
      this.#refreshTokens.set(hashOpaqueToken(refreshToken), {
        ...base,
        expiresAt: now + this.#lifetimes.refreshToken * 1000,
      });
    }
    return { accessToken, refreshToken, expiresIn: this.#lifetimes.accessToken, scope };
  }

  /** Consumes a refresh token (rotation: each works once); `undefined` when unknown, used or expired. */
  consumeRefreshToken(token: string): DevToken | undefined {
    const key = hashOpaqueToken(token);
    const found = this.#refreshTokens.get(key);
    this.#refreshTokens.delete(key);
    return found !== undefined && found.expiresAt > Date.now() ? found : undefined;
  }

  /** The live access token's details, or `undefined` when unknown, revoked or expired. */
  accessToken(token: string): DevToken | undefined {
    const found = this.#accessTokens.get(hashOpaqueToken(token));
    return found !== undefined && found.expiresAt > Date.now() ? found : undefined;
  }

  /** Revokes one token (RFC 7009): a refresh token takes its grant's tokens with it. */
  revokeToken(token: string): void {
    const key = hashOpaqueToken(token);
    const refresh = this.#refreshTokens.get(key);
    if (refresh !== undefined) {
      this.#revokeWhere((t) => t.grantId === refresh.grantId);
      return;
    }
    this.#accessTokens.delete(key);
  }

  /** Revokes every code and token of a user; returns how many tokens were revoked. */
  revokeUser(userId: string): number {
    for (const [key, code] of this.#codes) if (code.userId === userId) this.#codes.delete(key);
    return this.#revokeWhere((token) => token.userId === userId);
  }

  #revokeWhere(matches: (token: DevToken) => boolean): number {
    let revoked = 0;
    for (const map of [this.#accessTokens, this.#refreshTokens]) {
      for (const [key, token] of map) {
        if (matches(token)) {
          map.delete(key);
          revoked += 1;
        }
      }
    }
    return revoked;
  }

  /** Drops what has expired, so a long-running development server does not grow without bound. */
  #sweep(): void {
    const now = Date.now();
    for (const map of [this.#codes, this.#redeemed, this.#accessTokens, this.#refreshTokens]) {
      for (const [key, entry] of map) if (entry.expiresAt <= now) map.delete(key);
    }
  }
}
