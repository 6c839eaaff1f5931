/**
 * The services the resource server depends on at request time, and how their
 * failures are told apart from refusals: a store that cannot be reached says
 * nothing about the token, so it must not become a 401 (the client would
 * throw its tokens away) nor a 500 with a stack.
 */
import { ResourceServerError } from "../errors.js";
import { TokenStoreError } from "../store/errors.js";

/** What the resource server depends on besides its keys. */
export type ResourceDependency =
  /** The token store (revocations, upstream tokens): answered 503, try again. */
  | "store"
  /** The upstream provider, while refreshing the user's upstream token: answered 502. */
  | "upstream";

/**
 * A dependency failed, so the request can be neither accepted nor refused on
 * its merits. `message` goes to the client: it says what failed, never how
 * (no hostnames, no tokens); the cause is for logs.
 */
export class DependencyUnavailableError extends Error {
  readonly dependency: ResourceDependency;

  constructor(dependency: ResourceDependency, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "DependencyUnavailableError";
    this.dependency = dependency;
  }
}

/** What to tell a client when the store fails (Redis down, say). */
const STORE_UNAVAILABLE = "The authorization store is unavailable; try again shortly";

/**
 * Runs a token-store operation, turning any failure of the store itself
 * (connection refused, timeout, lock wait exhausted) into a
 * `DependencyUnavailableError("store")` that keeps the original as `cause`.
 * A `ResourceServerError` thrown by the operation's own code passes through,
 * and so does `TokenStoreError("command_failed")`, which is no outage.
 */
export async function fromStore<T>(operation: () => Promise<T>): Promise<T> {
  try {
    return await operation();
  } catch (err) {
    // Refusals and failures decided inside the operation (under a lock) pass through.
    if (err instanceof DependencyUnavailableError || err instanceof ResourceServerError) throw err;
    // An error reply from Redis is a server fault (500), not an outage to retry.
    if (err instanceof TokenStoreError && err.code === "command_failed") throw err;
    const message =
      err instanceof TokenStoreError && err.code === "lock_timeout"
        ? "Another request is refreshing the upstream authorization; try again shortly"
        : STORE_UNAVAILABLE;
    throw new DependencyUnavailableError("store", message, { cause: err });
  }
}
