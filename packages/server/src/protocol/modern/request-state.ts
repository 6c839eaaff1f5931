/**
 * `requestState` for input-required rounds: the answers gathered so far,
 * bound to the request they belong to (method + a digest of its salient
 * params), to the caller, and to an expiry, and signed (HMAC-SHA256) so a
 * client cannot alter any of it. The client echoes it back untouched.
 */
import { createHash, createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import { ErrorCode, type McpError, protocolError } from "../errors.js";

export interface RequestStatePayload {
  /** Method of the request the state belongs to. */
  m: string;
  /** Digest of the request's salient params. */
  d: string;
  /** The caller (auth subject or client id), or "" when unauthenticated. */
  p: string;
  /** Expiry, ms since the epoch. */
  e: number;
  /** Answers gathered in earlier rounds, by input key. */
  a: Record<string, unknown>;
}

/** A protocol error (it fails the request, even when found at a tool's first question). */
export const invalidRequestState = (why: string): McpError =>
  protocolError(ErrorCode.InvalidParams, `Invalid params: requestState ${why}`);

/** A deterministic JSON text (sorted keys), so equal params digest equally. */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  if (value && typeof value === "object") {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(",")}}`;
  }
  return JSON.stringify(value) ?? "null";
}

/** What identifies "the same request" across rounds: everything but the round's own fields. */
export function digestParams(params: Record<string, unknown>): string {
  const { _meta, inputResponses, requestState, ...salient } = params;
  return createHash("sha256").update(canonicalJson(salient)).digest("base64url");
}

export class RequestStateCodec {
  private readonly key: Buffer;

  constructor(
    secret: string | Buffer | undefined,
    /** How long a round's state stays valid. */
    readonly ttlMs: number,
  ) {
    this.key = secret === undefined ? randomBytes(32) : Buffer.from(secret);
  }

  encode(payload: RequestStatePayload): string {
    const body = Buffer.from(JSON.stringify(payload)).toString("base64url");
    return `${body}.${this.sign(body)}`;
  }

  /** Verifies and opens a state, checking it belongs to this request and caller. */
  decode(state: unknown, expect: { method: string; digest: string; principal: string }): RequestStatePayload {
    if (typeof state !== "string") throw invalidRequestState("must be a string");
    const dot = state.indexOf(".");
    if (dot <= 0) throw invalidRequestState("is malformed");
    const body = state.slice(0, dot);
    const given = Buffer.from(state.slice(dot + 1));
    const wanted = Buffer.from(this.sign(body));
    if (given.length !== wanted.length || !timingSafeEqual(given, wanted)) {
      throw invalidRequestState("failed verification (it was altered, or issued by another server)");
    }
    let payload: RequestStatePayload;
    try {
      payload = JSON.parse(Buffer.from(body, "base64url").toString()) as RequestStatePayload;
    } catch {
      throw invalidRequestState("is malformed");
    }
    if (payload.m !== expect.method || payload.d !== expect.digest) {
      throw invalidRequestState("belongs to a different request");
    }
    if (payload.p !== expect.principal) throw invalidRequestState("belongs to a different caller");
    if (Date.now() > payload.e) throw invalidRequestState("has expired: start the request again");
    return payload;
  }

  private sign(body: string): string {
    return createHmac("sha256", this.key).update(body).digest("base64url");
  }
}
