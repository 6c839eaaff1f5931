/**
 * What the development identity provider remembers: its authorization codes,
 * access tokens and refresh tokens, and which grants and users were revoked.
 * It all lives in a `StoreBackend`: the OAuth middleware's token store's when
 * the provider is mounted by it (so on Redis every instance shares it, and a
 * restart forgets nothing), else a memory backend of its own.
 *
 * Every key sits under the token store's sandbox (`oauth:<sandbox>:dev-idp:…`)
 * and every code and token appears only as its SHA-256, as the real store
 * keeps its own: a dump of the store holds nothing to replay. Revoking a grant
 * or a user writes a marker that lives as long as anything it revokes could,
 * and is checked whenever a code or token is used: no scans.
 */
import { randomUUID } from "node:crypto";
import type { StoreBackend } from "../store/backend.js";
import { keyFor } from "../store/keys.js";
import { generateOpaqueToken, hashOpaqueToken } from "../tokens/opaque.js";

/** Who a token or code belongs to. */
export interface DevUser {
  /** `dev:<username>`: the `sub` the provider reports. */
  userId: string;
  username: string;
}

/** What the login form decided: the code's details before the store stamps it. */
export interface DevCodeRequest extends DevUser {
  redirectUri: string;
  codeChallenge: string;
  scope: string;
}

/** An authorization code waiting to be exchanged. */
export interface DevCode extends DevCodeRequest {
  /** The grant the code's tokens will share, chosen at issue so a replay can find it. */
  grantId: string;
  /** Epoch ms. */
  issuedAt: number;
  /** Epoch ms. */
  expiresAt: number;
}

/** An access or refresh token. */
export interface DevToken extends DevUser {
  scope: string;
  /** Every token issued from one code shares it: a replayed code revokes them all. */
  grantId: string;
  /** Epoch ms: a user revoked at or after this time loses the token. */
  issuedAt: number;
  /** Epoch ms. */
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

/** Options of `DevIdpStore`. */
export interface DevIdpStoreOptions {
  /** Where everything lives: the token store's backend, or a memory backend of the provider's own. */
  backend: StoreBackend;
  /** The token store's sandbox id: the namespace of every key. */
  sandboxId: string;
  lifetimes: DevIdpLifetimes;
}

type DevKeyKind = "code" | "code-used" | "access" | "refresh" | "grant-revoked" | "user-revoked";

export class DevIdpStore {
  readonly #backend: StoreBackend;
  readonly #sandboxId: string;
  readonly #lifetimes: DevIdpLifetimes;
  /** How long a revocation marker must live: as long as the longest-lived thing it revokes. */
  readonly #revocationMs: number;

  constructor(options: DevIdpStoreOptions) {
    this.#backend = options.backend;
    this.#sandboxId = options.sandboxId;
    this.#lifetimes = options.lifetimes;
    const { code, accessToken, refreshToken } = options.lifetimes;
    this.#revocationMs = Math.max(code, accessToken, refreshToken ?? 0) * 1000;
  }

  /** A new single-use code for `user`, bound to the redirect URI and the PKCE challenge. */
  async issueCode(details: DevCodeRequest): Promise<string> {
    const code = generateOpaqueToken();
    const now = Date.now();
    const record: DevCode = {
      ...details,
      grantId: randomUUID(),
      issuedAt: now,
      expiresAt: now + this.#lifetimes.code * 1000,
    };
    await this.#backend.set(
      this.#key("code", hashOpaqueToken(code)),
      JSON.stringify(record),
      this.#lifetimes.code * 1000,
    );
    return code;
  }

  /**
   * Consumes a code: it works once, whatever the outcome of the exchange that
   * presents it, on whichever instance. Taking it keeps a copy until it would
   * have expired, so a second use is told apart from an unknown code.
   */
  async redeemCode(code: string): Promise<CodeRedemption> {
    const hash = hashOpaqueToken(code);
    const taken = await this.#backend.takeAndRetain(
      this.#key("code", hash),
      this.#key("code-used", hash),
      this.#lifetimes.code * 1000,
    );
    if (taken.state === "absent") return { status: "unknown" };
    const found = parse<DevCode>(taken.value);
    if (found === undefined) return { status: "unknown" };
    if (taken.state === "taken-before") {
      // RFC 6749 §4.1.2: a code used twice revokes what it was exchanged for.
      await this.#revokeGrant(found.grantId);
      return { status: "replayed" };
    }
    if (found.expiresAt <= Date.now() || (await this.#userRevokedSince(found))) return { status: "unknown" };
    return { status: "ok", code: found, grantId: found.grantId };
  }

  /** An access token (and a refresh token, when enabled) for a grant. */
  async issueTokens(user: DevUser, scope: string, grantId: string): Promise<IssuedDevTokens> {
    const now = Date.now();
    const base = { userId: user.userId, username: user.username, scope, grantId, issuedAt: now };
    const accessToken = generateOpaqueToken();
    const accessMs = this.#lifetimes.accessToken * 1000;
    const writes = [
      this.#backend.set(
        this.#key("access", hashOpaqueToken(accessToken)),
        JSON.stringify({ ...base, expiresAt: now + accessMs } satisfies DevToken),
        accessMs,
      ),
    ];
    let refreshToken: string | undefined;
    if (this.#lifetimes.refreshToken !== undefined) {
      refreshToken = generateOpaqueToken();
      const refreshMs = this.#lifetimes.refreshToken * 1000;
      writes.push(
        this.#backend.set(
          this.#key("refresh", hashOpaqueToken(refreshToken)),
          JSON.stringify({ ...base, expiresAt: now + refreshMs } satisfies DevToken),
          refreshMs,
        ),
      );
    }
    await Promise.all(writes);
    return { accessToken, refreshToken, expiresIn: this.#lifetimes.accessToken, scope };
  }

  /** Consumes a refresh token (rotation: each works once); `undefined` when unknown, used, revoked or expired. */
  async consumeRefreshToken(token: string): Promise<DevToken | undefined> {
    const found = parse<DevToken>(await this.#backend.take(this.#key("refresh", hashOpaqueToken(token))));
    return (await this.#live(found)) ? found : undefined;
  }

  /** The live access token's details, or `undefined` when unknown, revoked or expired. */
  async accessToken(token: string): Promise<DevToken | undefined> {
    const found = parse<DevToken>(await this.#backend.get(this.#key("access", hashOpaqueToken(token))));
    return (await this.#live(found)) ? found : undefined;
  }

  /** Revokes one token (RFC 7009): a refresh token takes its grant's tokens with it. */
  async revokeToken(token: string): Promise<void> {
    const hash = hashOpaqueToken(token);
    const refresh = parse<DevToken>(await this.#backend.take(this.#key("refresh", hash)));
    if (refresh !== undefined) {
      await this.#revokeGrant(refresh.grantId);
      return;
    }
    await this.#backend.delete(this.#key("access", hash));
  }

  /** Revokes every code and token the user holds now (those issued later are not affected). */
  async revokeUser(userId: string): Promise<void> {
    await this.#backend.set(this.#key("user-revoked", userId), String(Date.now()), this.#revocationMs);
  }

  async #revokeGrant(grantId: string): Promise<void> {
    await this.#backend.set(this.#key("grant-revoked", grantId), "1", this.#revocationMs);
  }

  /** Whether a token found is still good: not expired, its grant not revoked, its user not revoked since. */
  async #live(token: DevToken | undefined): Promise<boolean> {
    if (token === undefined || token.expiresAt <= Date.now()) return false;
    const [grantRevoked, userRevoked] = await Promise.all([
      this.#backend.get(this.#key("grant-revoked", token.grantId)),
      this.#userRevokedSince(token),
    ]);
    return grantRevoked === undefined && !userRevoked;
  }

  /**
   * Whether the user was revoked at or after `issuedAt`. Instances compare
   * their clocks here: fine for a development provider, whose instances share a host or NTP.
   */
  async #userRevokedSince(item: { userId: string; issuedAt: number }): Promise<boolean> {
    const revokedAt = Number(await this.#backend.get(this.#key("user-revoked", item.userId)));
    return Number.isFinite(revokedAt) && item.issuedAt <= revokedAt;
  }

  #key(kind: DevKeyKind, id: string): string {
    return keyFor(this.#sandboxId, "dev-idp", kind, id);
  }
}

/** A record this store wrote, or `undefined` (absent, or not ours: treated as unknown). */
function parse<T extends object>(raw: string | undefined): T | undefined {
  if (raw === undefined) return undefined;
  try {
    const value: unknown = JSON.parse(raw);
    return typeof value === "object" && value !== null ? (value as T) : undefined;
  } catch {
    return undefined;
  }
}
