/** The storage layer: the `TokenStore` facade, its two backends, and the records it keeps. */
export type { Retained, StoreBackend } from "./backend.js";
export { DEFAULT_EXTERNAL_TOKEN_TTL_SECONDS, DEFAULT_GRANT_RETENTION_SECONDS } from "./config.js";
export { TokenStoreError, type TokenStoreErrorCode } from "./errors.js";
export type { LockOptions } from "./lock.js";
export { MemoryBackend, type MemoryBackendOptions } from "./memory.js";
export type {
  AuthorizationCodeRecord,
  ClientMetadataDocumentRecord,
  ClientRecord,
  ConsentRecord,
  JsonValue,
  PendingAuthorizationRecord,
  RefreshTokenRecord,
  TokenEndpointAuthMethod,
  UpstreamTokens,
} from "./records.js";
export {
  DEFAULT_REDIS_CONNECTION_SETTINGS,
  DEFAULT_REDIS_KEY_PREFIX,
  RedisBackend,
  type RedisBackendOptions,
  type RedisConnectionSettings,
  redisConnectionOptions,
} from "./redis.js";
export {
  type CodeRedemption,
  type RefreshRotation,
  type RotateRefreshTokenRequest,
  type StoreLogger,
  TokenStore,
  type TokenStoreOptions,
} from "./token-store.js";
