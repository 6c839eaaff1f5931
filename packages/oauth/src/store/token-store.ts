/**
 * `TokenStore`: everything the authorization server keeps, behind typed
 * methods, on a memory or Redis backend. The rules live here, once, for both
 * backends: single-use items are consumed atomically, codes and refresh tokens
 * are stored only under their SHA-256, a replayed code or a reused refresh
 * token revokes its grant, upstream tokens are encrypted with AES-256-GCM, and
 * every key carries the sandbox id so two sandboxes never see each other's data.
 */
import type { Redis } from "ioredis";
import type { StoreBackend } from "./backend.js";
import { resolveStoreSettings } from "./config.js";
import { Encryptor, sha256Hex } from "./crypto.js";
import { TokenStoreError } from "./errors.js";
import { type KeyKind, keyFor } from "./keys.js";
import { type LockOptions, withBackendLock } from "./lock.js";
import { MemoryBackend } from "./memory.js";
import type {
  AuthorizationCodeRecord,
  ClientMetadataDocumentRecord,
  ClientRecord,
  ConsentRecord,
  PendingAuthorizationRecord,
  RefreshTokenRecord,
  UpstreamTokens,
} from "./records.js";
import { DEFAULT_REDIS_KEY_PREFIX, RedisBackend } from "./redis.js";

/** Where the store reports what an operator should know: a pino logger fits (the same shape as `WarnLogger`). */
export interface StoreLogger {
  warn(obj: Record<string, unknown>, msg: string): void;
}

/** Options of `TokenStore`. Anything not given comes from the environment, then from defaults. */
export interface TokenStoreOptions {
  /** Namespaces every key: stores with different sandbox ids share nothing. `[A-Za-z0-9._-]`, 1–128 characters. */
  sandboxId: string;
  /** A backend to use as is (the store never closes it). Wins over everything below. */
  backend?: StoreBackend;
  /** An ioredis client to use (the store never quits it). Wins over `redisUrl` and the environment. */
  redisClient?: Redis;
  /** A Redis URL to connect to. Wins over `SESSION_PROVIDER` / `SESSION_REDIS_URL`. */
  redisUrl?: string;
  /** Prefix of every Redis key, before the sandbox id (default `chuk-mcp:`). */
  redisKeyPrefix?: string;
  /** 32 bytes, raw or as base64 / hex. Default: `OAUTH_ENCRYPTION_KEY`, else a generated key (with a warning). */
  encryptionKey?: string | Uint8Array;
  /** How long upstream tokens are kept. Default: `OAUTH_EXTERNAL_TOKEN_TTL`, else 5184000 (60 days). */
  externalTokenTtlSeconds?: number;
  /**
   * How long a used authorization code and a revoked grant are remembered:
   * at least the refresh-token TTL plus the access-token TTL, so nothing a
   * grant issued outlives the memory of its revocation. Default 87300.
   */
  grantRetentionSeconds?: number;
  /** Told about generated keys, ignored settings and Redis connection errors. */
  logger?: StoreLogger;
  /** The environment to read (default `process.env`). */
  env?: NodeJS.ProcessEnv;
}

/** What redeeming an authorization code found. */
export type CodeRedemption =
  /** First use: the code's record. */
  | { status: "redeemed"; record: AuthorizationCodeRecord }
  /** The code was used before. Its grant has now been revoked (RFC 9700 §4.2.4 / OAuth 2.1 §4.1.3). */
  | { status: "replayed"; record: AuthorizationCodeRecord }
  /** Never issued, expired, or used so long ago it is forgotten. */
  | { status: "unknown" };

/** A refresh-token rotation: the token presented, and what to issue in its place. */
export interface RotateRefreshTokenRequest {
  /** The authenticated client: it must be the one the token was issued to. */
  clientId: string;
  /** The new refresh token (the store keeps only its hash). */
  next: string;
  /** Lifetime of the new refresh token. */
  ttlSeconds: number;
  /** Scopes for the new token: a subset of the presented token's (default: the same). */
  scopes?: string[];
  /**
   * For how long after its first rotation the same token may be presented
   * again (concurrent refreshes from one client) and still be rotated; after
   * that a second presentation is reuse and revokes the grant. 0 = never.
   */
  graceSeconds: number;
}

/** What a refresh-token rotation did. */
export type RefreshRotation =
  /**
   * Rotated: `current` was stored for the new token. `withinGrace` is true
   * when the presented token had been rotated already, within the grace period.
   */
  | { status: "rotated"; previous: RefreshTokenRecord; current: RefreshTokenRecord; withinGrace: boolean }
  /** The token had been rotated before, outside the grace period: its grant has now been revoked. */
  | { status: "reused"; grantId: string }
  /** The token's grant was revoked earlier. */
  | { status: "revoked"; grantId: string }
  /** The token was issued to another client. Nothing was changed. */
  | { status: "client_mismatch" }
  /** `scopes` asked for more than the token carries. Nothing was changed. */
  | { status: "scope_widened"; granted: string[] }
  /** Never issued, or expired. */
  | { status: "unknown" };

/** The token store. Construct one per sandbox; share it between the middleware and the provider. */
export class TokenStore {
  readonly sandboxId: string;
  readonly backend: StoreBackend;
  /** Which backend is in use: chosen here from options or environment, or passed in. */
  readonly backendKind: "memory" | "redis" | "custom";
  /** What was also sent to the logger at construction (a generated key, an ignored setting). */
  readonly warnings: readonly string[];
  readonly externalTokenTtlSeconds: number;
  readonly grantRetentionSeconds: number;
  /** On Redis: the prefix of every key (before the sandbox id), for others who share the database. */
  readonly redisKeyPrefix: string | undefined;
  readonly #encryptor: Encryptor;
  readonly #ownsBackend: boolean;

  /** Throws `ConfigError` (from `@chuk-mcp/server`) naming the option or variable that is wrong. */
  constructor(options: TokenStoreOptions) {
    const settings = resolveStoreSettings(
      {
        sandboxId: options.sandboxId,
        redisUrl: options.redisUrl,
        encryptionKey: options.encryptionKey,
        externalTokenTtlSeconds: options.externalTokenTtlSeconds,
        grantRetentionSeconds: options.grantRetentionSeconds,
        backendGiven: options.backend !== undefined || options.redisClient !== undefined,
      },
      options.env ?? process.env,
    );
    this.sandboxId = settings.sandboxId;
    this.externalTokenTtlSeconds = settings.externalTokenTtlSeconds;
    this.grantRetentionSeconds = settings.grantRetentionSeconds;
    this.#encryptor = new Encryptor(settings.encryptionKey);
    this.warnings = settings.warnings;
    for (const warning of settings.warnings) options.logger?.warn({ sandboxId: settings.sandboxId }, warning);

    const keyPrefix = options.redisKeyPrefix;
    const isRedis = !options.backend && (options.redisClient !== undefined || settings.backend.kind === "redis");
    this.redisKeyPrefix = isRedis ? (keyPrefix ?? DEFAULT_REDIS_KEY_PREFIX) : undefined;
    if (options.backend) {
      this.backend = options.backend;
      this.backendKind = "custom";
      this.#ownsBackend = false;
    } else if (options.redisClient) {
      this.backend = new RedisBackend({
        client: options.redisClient,
        ...(keyPrefix === undefined ? {} : { keyPrefix }),
      });
      this.backendKind = "redis";
      this.#ownsBackend = false;
    } else if (settings.backend.kind === "redis") {
      this.backend = new RedisBackend({
        url: settings.backend.url,
        ...(keyPrefix === undefined ? {} : { keyPrefix }),
        ...(options.logger === undefined ? {} : { logger: options.logger }),
      });
      this.backendKind = "redis";
      this.#ownsBackend = true;
    } else {
      this.backend = new MemoryBackend();
      this.backendKind = "memory";
      this.#ownsBackend = true;
    }
  }

  // --- registered clients -------------------------------------------------

  /** Stores (or replaces) a client registration; without `ttlSeconds` it never expires. */
  async saveClient(client: ClientRecord, ttlSeconds?: number): Promise<void> {
    await this.backend.set(this.#key("client", client.clientId), JSON.stringify(client), msOrUndefined(ttlSeconds));
  }

  async getClient(clientId: string): Promise<ClientRecord | undefined> {
    return this.#readJson<ClientRecord>(this.#key("client", clientId));
  }

  async deleteClient(clientId: string): Promise<boolean> {
    return this.backend.delete(this.#key("client", clientId));
  }

  /**
   * Remembers which client was registered with exactly this metadata
   * (`fingerprint`: a hash of it), for as long as the registration lives, so
   * an identical registration can be answered with the same client.
   */
  async rememberClientFingerprint(fingerprint: string, clientId: string, ttlSeconds: number): Promise<void> {
    await this.backend.set(this.#key("client-fingerprint", fingerprint), clientId, ttlSeconds * 1000);
  }

  /** The live client registered with this metadata fingerprint, if any. */
  async findClientByFingerprint(fingerprint: string): Promise<ClientRecord | undefined> {
    const clientId = await this.backend.get(this.#key("client-fingerprint", fingerprint));
    return clientId === undefined ? undefined : this.getClient(clientId);
  }

  // --- clients from metadata documents (cache) -----------------------------

  /** Caches a client resolved from its metadata document (keyed by the document URL, its `client_id`). */
  async saveClientMetadataDocument(record: ClientMetadataDocumentRecord, ttlSeconds: number): Promise<void> {
    const key = this.#key("client-metadata", record.client.clientId);
    await this.backend.set(key, JSON.stringify(record), ttlSeconds * 1000);
  }

  /** The cached client of the metadata document at `url`, while its cache lifetime lasts. */
  async getClientMetadataDocument(url: string): Promise<ClientMetadataDocumentRecord | undefined> {
    return this.#readJson<ClientMetadataDocumentRecord>(this.#key("client-metadata", url));
  }

  async deleteClientMetadataDocument(url: string): Promise<boolean> {
    return this.backend.delete(this.#key("client-metadata", url));
  }

  // --- pending authorizations ---------------------------------------------

  /**
   * Stores an authorization request under the random `state` sent upstream
   * (kept only as its hash). Throws `duplicate_key` if that state is live already.
   */
  async putPendingAuthorization(state: string, record: PendingAuthorizationRecord, ttlSeconds: number): Promise<void> {
    await this.#putNew(
      this.#key("pending", sha256Hex(state)),
      JSON.stringify(record),
      ttlSeconds,
      "authorization state",
    );
  }

  /** Reads a pending request without taking it (the consent page shows it before the user decides). */
  async getPendingAuthorization(state: string): Promise<PendingAuthorizationRecord | undefined> {
    return this.#readJson<PendingAuthorizationRecord>(this.#key("pending", sha256Hex(state)));
  }

  /** Takes the request back, once: a second take (a replayed callback) finds nothing. */
  async takePendingAuthorization(state: string): Promise<PendingAuthorizationRecord | undefined> {
    const raw = await this.backend.take(this.#key("pending", sha256Hex(state)));
    return raw === undefined ? undefined : parseRecord<PendingAuthorizationRecord>(raw, "pending authorization");
  }

  // --- consents -----------------------------------------------------------

  /** Records that a user approved a client's scopes; without `ttlSeconds` it never expires. */
  async saveConsent(consent: ConsentRecord, ttlSeconds?: number): Promise<void> {
    const key = this.#key("consent", consent.clientId, consent.userId);
    await this.backend.set(key, JSON.stringify(consent), msOrUndefined(ttlSeconds));
  }

  async getConsent(clientId: string, userId: string): Promise<ConsentRecord | undefined> {
    return this.#readJson<ConsentRecord>(this.#key("consent", clientId, userId));
  }

  async deleteConsent(clientId: string, userId: string): Promise<boolean> {
    return this.backend.delete(this.#key("consent", clientId, userId));
  }

  // --- authorization codes ------------------------------------------------

  /** Stores a new code's record under the code's hash. Throws `duplicate_key` if that code is live already. */
  async putAuthorizationCode(code: string, record: AuthorizationCodeRecord, ttlSeconds: number): Promise<void> {
    await this.#putNew(this.#key("code", sha256Hex(code)), JSON.stringify(record), ttlSeconds, "authorization code");
  }

  /**
   * Redeems a code, atomically and once: of any number of concurrent
   * redemptions exactly one is `redeemed`. The record is kept as "used" for
   * `grantRetentionSeconds`, so a later presentation is recognised as a replay,
   * and its grant is revoked before this returns.
   */
  async takeAuthorizationCode(code: string): Promise<CodeRedemption> {
    const hash = sha256Hex(code);
    const found = await this.backend.takeAndRetain(
      this.#key("code", hash),
      this.#key("code-used", hash),
      this.grantRetentionSeconds * 1000,
    );
    if (found.state === "absent") return { status: "unknown" };
    const record = parseRecord<AuthorizationCodeRecord>(found.value, "authorization code");
    if (found.state === "taken") return { status: "redeemed", record };
    await this.revokeGrant(record.grantId);
    return { status: "replayed", record };
  }

  // --- refresh tokens -----------------------------------------------------

  /** Stores a new refresh token's record under the token's hash. Throws `duplicate_key` if that token is live already. */
  async putRefreshToken(token: string, record: RefreshTokenRecord, ttlSeconds: number): Promise<void> {
    await this.#putNew(this.#key("refresh", sha256Hex(token)), JSON.stringify(record), ttlSeconds, "refresh token");
  }

  /** A refresh token's record (rotated or not), e.g. for revocation; `undefined` if unknown or expired. */
  async getRefreshToken(token: string): Promise<RefreshTokenRecord | undefined> {
    const record = await this.#readJson<RefreshTokenRecord>(this.#key("refresh", sha256Hex(token)));
    return record && record.expiresAt * 1000 > Date.now() ? record : undefined;
  }

  /**
   * Rotates a refresh token: marks the presented one used and stores `next`
   * in the same grant. Only the first rotation of a token is ordinary (decided
   * atomically, with set-if-absent); presenting it again within
   * `graceSeconds` rotates again (two requests raced), and after that is
   * reuse, which revokes the whole grant. Checks of client and scope come
   * first and change nothing when they fail.
   */
  async rotateRefreshToken(token: string, request: RotateRefreshTokenRequest): Promise<RefreshRotation> {
    const hash = sha256Hex(token);
    const previous = await this.#readJson<RefreshTokenRecord>(this.#key("refresh", hash));
    const now = Date.now();
    const remainingMs = previous === undefined ? 0 : previous.expiresAt * 1000 - now;
    if (previous === undefined || remainingMs <= 0) return { status: "unknown" };
    if (previous.clientId !== request.clientId) return { status: "client_mismatch" };
    if (await this.isGrantRevoked(previous.grantId)) return { status: "revoked", grantId: previous.grantId };
    const scopes = request.scopes ?? previous.scopes;
    if (!scopes.every((s) => previous.scopes.includes(s))) return { status: "scope_widened", granted: previous.scopes };

    // The used marker holds the time of the first rotation; set-if-absent
    // keeps that time, so the grace period cannot be stretched by reusing.
    const usedKey = this.#key("refresh-used", hash);
    let withinGrace = false;
    if (!(await this.backend.setIfAbsent(usedKey, String(now), remainingMs))) {
      const usedAt = Number(await this.backend.get(usedKey));
      // No grace means none: `now` was read before the race was decided, so it
      // may even be earlier than the winner's time (a negative elapsed time).
      withinGrace = request.graceSeconds > 0 && Number.isFinite(usedAt) && now - usedAt < request.graceSeconds * 1000;
      if (!withinGrace) {
        await this.revokeGrant(previous.grantId);
        return { status: "reused", grantId: previous.grantId };
      }
    }

    const issuedAt = Math.floor(now / 1000);
    const current: RefreshTokenRecord = {
      ...previous,
      scopes: [...scopes],
      issuedAt,
      expiresAt: issuedAt + request.ttlSeconds,
    };
    await this.putRefreshToken(request.next, current, request.ttlSeconds);
    return { status: "rotated", previous, current, withinGrace };
  }

  // --- grants (everything issued from one authorization code) --------------

  /**
   * Revokes a grant: its refresh tokens stop rotating, and access tokens
   * carrying its id should be refused by the verifier (see `isGrantRevoked`).
   */
  async revokeGrant(grantId: string, ttlSeconds = this.grantRetentionSeconds): Promise<void> {
    await this.backend.set(this.#key("grant-revoked", grantId), "1", ttlSeconds * 1000);
  }

  async isGrantRevoked(grantId: string): Promise<boolean> {
    return (await this.backend.get(this.#key("grant-revoked", grantId))) !== undefined;
  }

  // --- access tokens ------------------------------------------------------

  /**
   * Revokes one access token by its `jti` until `expiresAt` (its `exp`, epoch
   * seconds): after that the token is refused for being expired anyway.
   */
  async revokeAccessToken(jti: string, expiresAt: number): Promise<void> {
    const remainingMs = expiresAt * 1000 - Date.now();
    if (remainingMs <= 0) return;
    await this.backend.set(this.#key("jti-revoked", jti), "1", remainingMs);
  }

  async isAccessTokenRevoked(jti: string): Promise<boolean> {
    return (await this.backend.get(this.#key("jti-revoked", jti))) !== undefined;
  }

  // --- upstream (provider) tokens -----------------------------------------

  /**
   * Stores a user's upstream tokens, encrypted, for `externalTokenTtlSeconds`
   * from now, however soon the access token expires: the refresh token is what
   * keeps the user signed in. When `tokens` has no refresh token (providers
   * often send none on refresh), the stored one is kept; that read-then-write
   * is why concurrent refreshes for one user belong under `withLock`.
   */
  async saveUpstreamTokens(userId: string, tokens: UpstreamTokens): Promise<void> {
    const key = this.#key("upstream", userId);
    let record = tokens;
    if (tokens.refreshToken === undefined) {
      // An unreadable old record (another key, tampering) has nothing worth keeping.
      const refreshToken = (await this.#readUpstream(key).catch(() => undefined))?.refreshToken;
      if (refreshToken !== undefined) record = { ...tokens, refreshToken };
    }
    const sealed = this.#encryptor.encrypt(JSON.stringify(record), key);
    await this.backend.set(key, sealed, this.externalTokenTtlSeconds * 1000);
  }

  /** A user's upstream tokens; throws `TokenStoreError("decryption_failed")` if the record was tampered with. */
  async getUpstreamTokens(userId: string): Promise<UpstreamTokens | undefined> {
    return this.#readUpstream(this.#key("upstream", userId));
  }

  async deleteUpstreamTokens(userId: string): Promise<boolean> {
    return this.backend.delete(this.#key("upstream", userId));
  }

  // --- coordination -------------------------------------------------------

  /**
   * Runs `fn` holding the lock `name` in this sandbox (across instances with
   * Redis), e.g. `upstream-refresh:<user>` so one caller refreshes an upstream
   * token while the others wait and then read the fresh one. Throws
   * `TokenStoreError("lock_timeout")` when the wait runs out.
   */
  async withLock<T>(name: string, options: LockOptions, fn: () => Promise<T>): Promise<T> {
    return withBackendLock(this.backend, this.#key("lock", name), options, fn);
  }

  /** Counts an event in a fixed window that starts with its first count (rate limits). Returns the count so far. */
  async increment(name: string, windowSeconds: number): Promise<number> {
    return this.backend.increment(this.#key("counter", name), windowSeconds * 1000);
  }

  /**
   * A secret for another purpose (e.g. signing browser cookies), derived from
   * the encryption key: stable across restarts and shared by every instance
   * configured with the same `OAUTH_ENCRYPTION_KEY`.
   */
  deriveSecret(label: string): Uint8Array {
    return this.#encryptor.deriveKey(label);
  }

  /** Closes the backend if this store opened it (a passed-in backend or Redis client is left to its owner). */
  async close(): Promise<void> {
    if (this.#ownsBackend) await this.backend.close();
  }

  // --- internals ----------------------------------------------------------

  #key(kind: KeyKind, ...ids: string[]): string {
    return keyFor(this.sandboxId, kind, ...ids);
  }

  async #putNew(key: string, value: string, ttlSeconds: number, what: string): Promise<void> {
    if (!(await this.backend.setIfAbsent(key, value, ttlSeconds * 1000))) {
      throw new TokenStoreError("duplicate_key", `This ${what} is already stored: issue a fresh random value`);
    }
  }

  async #readJson<T>(key: string): Promise<T | undefined> {
    const raw = await this.backend.get(key);
    return raw === undefined ? undefined : parseRecord<T>(raw, key.split(":")[2] ?? "record");
  }

  async #readUpstream(key: string): Promise<UpstreamTokens | undefined> {
    const sealed = await this.backend.get(key);
    if (sealed === undefined) return undefined;
    return parseRecord<UpstreamTokens>(this.#encryptor.decrypt(sealed, key), "upstream tokens");
  }
}

const msOrUndefined = (seconds: number | undefined): number | undefined =>
  seconds === undefined ? undefined : seconds * 1000;

// Records are ours, written by this class as JSON: the parse is the check
// that matters (another application's value under our prefix, a truncation).
function parseRecord<T>(raw: string, what: string): T {
  try {
    const value: unknown = JSON.parse(raw);
    if (typeof value !== "object" || value === null) throw new TypeError("not an object");
    return value as T;
  } catch (cause) {
    throw new TokenStoreError("corrupt_record", `Stored ${what} is not a record this store wrote`, { cause });
  }
}
