/**
 * Ready LinkedIn tools: `linkedin_profile` and `linkedin_publish_post`. Each
 * runs only for a signed-in caller with its MCP scope and calls LinkedIn with
 * the member's own access token (`ctx.auth.externalAccessToken`). A LinkedIn
 * error becomes a tool error naming the HTTP status and LinkedIn's message;
 * a 401 says the member must sign in again.
 */
import { type CallToolResult, type ChukMCPServer, requiresAuth } from "@chuk-mcp/server";
import { z } from "zod";
import { LINKEDIN_API_URL } from "./linkedin-provider.js";
import { LINKEDIN_TOOL_SCOPES, linkedInApiUrlOf } from "./setup.js";

/**
 * The `LinkedIn-Version` (YYYYMM) the tools send to LinkedIn's versioned REST
 * API. LinkedIn keeps each monthly version for at least a year, then answers
 * it with HTTP 426 `NONEXISTENT_VERSION`: pass a newer `apiVersion` then.
 */
export const LINKEDIN_API_VERSION = "202609";

/** Options of `registerLinkedInTools`. */
export interface LinkedInToolsOptions {
  /**
   * The origin of LinkedIn's API. Default: the one `setupLinkedInOAuth(mcp)`
   * chose (a stand-in with `LINKEDIN_UPSTREAM_URL`), else `https://api.linkedin.com`.
   */
  apiUrl?: string;
  /** `LinkedIn-Version` header of REST calls (YYYYMM). Default `LINKEDIN_API_VERSION`. */
  apiVersion?: string;
  /** Seconds to wait for each LinkedIn call. Default 15. */
  requestTimeout?: number;
}

/** Who the member is, as `linkedin_profile` returns it. */
export interface LinkedInProfile {
  [key: string]: unknown;
  /** The member's id at LinkedIn (OpenID `sub`); their person URN is `urn:li:person:<sub>`. */
  sub: string;
  name?: string;
  givenName?: string;
  familyName?: string;
  email?: string;
  emailVerified?: boolean;
  /** URL of the profile picture. */
  picture?: string;
}

/** What `linkedin_publish_post` returns. */
export interface LinkedInPublishedPost {
  [key: string]: unknown;
  /** The post's URN (`urn:li:share:…` or `urn:li:ugcPost:…`), from the `x-restli-id` header. */
  id: string;
  /** Where the post can be seen. */
  url: string;
  visibility: "PUBLIC" | "CONNECTIONS";
}

const profileOutput = {
  sub: z.string(),
  name: z.string().optional(),
  givenName: z.string().optional(),
  familyName: z.string().optional(),
  email: z.string().optional(),
  emailVerified: z.boolean().optional(),
  picture: z.string().optional(),
};

const postOutput = {
  id: z.string(),
  url: z.string(),
  visibility: z.enum(["PUBLIC", "CONNECTIONS"]),
};

/** LinkedIn's longest post commentary, in characters. */
const MAX_COMMENTARY = 3000;

/** A LinkedIn call that did not go as hoped: the tool error's text. */
class LinkedInCallError extends Error {
  override readonly name = "LinkedInCallError";
}

/**
 * Registers `linkedin_profile` (scope `profile.read`) and
 * `linkedin_publish_post` (scope `posts.write`) on `mcp`. Returns `mcp`.
 */
export function registerLinkedInTools(mcp: ChukMCPServer, options: LinkedInToolsOptions = {}): ChukMCPServer {
  const apiVersion = options.apiVersion ?? LINKEDIN_API_VERSION;
  if (!/^\d{6}$/.test(apiVersion)) throw new TypeError(`registerLinkedInTools: apiVersion must be YYYYMM, e.g. 202609`);
  const timeoutMs = (options.requestTimeout ?? 15) * 1000;
  // Resolved at call time: setupLinkedInOAuth(mcp) usually runs after the tools are registered.
  const api = (path: string): string =>
    `${(options.apiUrl ?? linkedInApiUrlOf(mcp) ?? LINKEDIN_API_URL).replace(/\/+$/, "")}${path}`;
  const call = (path: string, init: RequestInit, signal: AbortSignal): Promise<Response> =>
    fetch(api(path), { ...init, signal: AbortSignal.any([signal, AbortSignal.timeout(timeoutMs)]) }).catch(
      (err: unknown) => {
        throw new LinkedInCallError(`Could not reach LinkedIn (${reachFailure(err)}); try again later.`);
      },
    );

  const userinfo = async (token: string, signal: AbortSignal): Promise<Record<string, unknown>> => {
    const response = await call(
      "/v2/userinfo",
      { headers: { authorization: `Bearer ${token}`, accept: "application/json" } },
      signal,
    );
    if (response.status !== 200) throw new LinkedInCallError(await refusal("read your profile", response));
    const body = await response.json().catch(() => undefined);
    if (!isRecord(body) || typeof body.sub !== "string" || body.sub === "") {
      throw new LinkedInCallError("LinkedIn answered the profile request without a member id (sub).");
    }
    return body;
  };

  mcp.tool(
    "linkedin_profile",
    {
      title: "LinkedIn profile",
      description:
        "Who the signed-in LinkedIn member is: their id (sub), name, email and picture, from LinkedIn's OpenID Connect userinfo.",
      output: profileOutput,
      annotations: { readOnlyHint: true, openWorldHint: true },
    },
    requiresAuth(
      { scopes: [LINKEDIN_TOOL_SCOPES.profile] },
      async (_args, ctx): Promise<LinkedInProfile | CallToolResult> => {
        const token = ctx.auth.externalAccessToken;
        if (!token) return failed(NO_TOKEN);
        try {
          return profileOf(await userinfo(token, ctx.signal));
        } catch (err) {
          if (err instanceof LinkedInCallError) return failed(err.message);
          throw err;
        }
      },
    ),
  );

  mcp.tool(
    "linkedin_publish_post",
    {
      title: "Publish a LinkedIn post",
      description:
        "Publishes a text post on LinkedIn as the signed-in member, to everyone (PUBLIC) or their connections (CONNECTIONS). " +
        "The text is posted as written (no mentions or hashtag links).",
      input: {
        content: z.string().trim().min(1).max(MAX_COMMENTARY).describe("The post's text (at most 3000 characters)"),
        visibility: z
          .enum(["PUBLIC", "CONNECTIONS"])
          .default("PUBLIC")
          .describe("PUBLIC: anyone on or off LinkedIn; CONNECTIONS: the member's 1st-degree connections"),
      },
      output: postOutput,
      annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: true },
    },
    requiresAuth(
      { scopes: [LINKEDIN_TOOL_SCOPES.post] },
      async ({ content, visibility }, ctx): Promise<LinkedInPublishedPost | CallToolResult> => {
        const token = ctx.auth.externalAccessToken;
        if (!token) return failed(NO_TOKEN);
        try {
          // Our tokens' subject is the member's LinkedIn id (the provider identifies members by `sub`).
          const sub = isMemberId(ctx.auth.subject) ? ctx.auth.subject : String((await userinfo(token, ctx.signal)).sub);
          const response = await call(
            "/rest/posts",
            {
              method: "POST",
              headers: {
                authorization: `Bearer ${token}`,
                "content-type": "application/json",
                // The versioned REST API refuses calls without both headers.
                "linkedin-version": apiVersion,
                "x-restli-protocol-version": "2.0.0",
              },
              body: JSON.stringify({
                author: `urn:li:person:${sub}`,
                commentary: escapeLittleText(content),
                visibility,
                distribution: { feedDistribution: "MAIN_FEED", targetEntities: [], thirdPartyDistributionChannels: [] },
                lifecycleState: "PUBLISHED",
                isReshareDisabledByAuthor: false,
              }),
            },
            ctx.signal,
          );
          if (response.status !== 201) return failed(await refusal("publish the post", response));
          await response.body?.cancel();
          // LinkedIn answers 201 with an empty body: the post's URN is in this header.
          const id = response.headers.get("x-restli-id");
          if (!id) return failed("LinkedIn accepted the post but did not say its id (no x-restli-id header).");
          return { id, url: `https://www.linkedin.com/feed/update/${encodeURIComponent(id)}/`, visibility };
        } catch (err) {
          if (err instanceof LinkedInCallError) return failed(err.message);
          throw err;
        }
      },
    ),
  );
  return mcp;
}

const NO_TOKEN = "No LinkedIn access token is stored for this session: sign in with LinkedIn again (re-authorize).";

const failed = (text: string): CallToolResult => ({ content: [{ type: "text", text }], isError: true });

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);

/** A LinkedIn member id as OpenID `sub` carries it (letters, digits, `-`, `_`). */
const isMemberId = (value: string | undefined): value is string =>
  value !== undefined && /^[A-Za-z0-9_-]{1,64}$/.test(value);

function profileOf(info: Record<string, unknown>): LinkedInProfile {
  const text = (key: string): string | undefined =>
    typeof info[key] === "string" && info[key] !== "" ? (info[key] as string) : undefined;
  const profile: LinkedInProfile = { sub: info.sub as string };
  const name = text("name");
  const givenName = text("given_name");
  const familyName = text("family_name");
  const email = text("email");
  const picture = text("picture");
  if (name !== undefined) profile.name = name;
  if (givenName !== undefined) profile.givenName = givenName;
  if (familyName !== undefined) profile.familyName = familyName;
  if (email !== undefined) profile.email = email;
  if (typeof info.email_verified === "boolean") profile.emailVerified = info.email_verified;
  if (picture !== undefined) profile.picture = picture;
  return profile;
}

/**
 * The commentary is "little" text, where `\ | { } @ [ ] ( ) < > # * _ ~` start
 * mentions, hashtags and templates; LinkedIn silently drops the rest of a post
 * at a stray one. Escaped with a backslash, the text is posted as written.
 */
export function escapeLittleText(text: string): string {
  return text.replace(/[\\|{}@[\]()<>#*_~]/g, (c) => `\\${c}`);
}

/** Why fetch failed, without the URL's query or anything the caller sent. */
function reachFailure(err: unknown): string {
  if (err instanceof Error && (err.name === "TimeoutError" || err.name === "AbortError")) return "timed out";
  const cause = err instanceof Error ? (err.cause as { code?: unknown } | undefined) : undefined;
  return typeof cause?.code === "string" ? `network error ${cause.code}` : "network error";
}

/** The tool error's text for a refused call: the status, LinkedIn's code and message, and what to do. */
async function refusal(what: string, response: Response): Promise<string> {
  const body = await response.json().catch(() => undefined);
  const code = isRecord(body) && typeof body.code === "string" ? printable(body.code, 64) : undefined;
  const message = isRecord(body) && typeof body.message === "string" ? printable(body.message, 300) : undefined;
  const detail = [code, message].filter((s) => s !== undefined).join(": ");
  let text = `LinkedIn refused to ${what} (HTTP ${response.status}${detail === "" ? "" : `, ${detail}`}).`;
  if (response.status === 401) {
    text +=
      " The LinkedIn access token has expired or was revoked. LinkedIn tokens last 60 days and most apps get no refresh token: " +
      "sign in with LinkedIn again (re-authorize this server) to continue.";
  } else if (response.status === 403) {
    text +=
      ' The LinkedIn app lacks the permission: it needs the "Share on LinkedIn" product (scope w_member_social) ' +
      'and "Sign In with LinkedIn using OpenID Connect" (openid profile email), and the member must have granted them.';
  } else if (response.status === 426) {
    text += " This LinkedIn-Version is no longer served: pass a newer apiVersion to registerLinkedInTools.";
  } else if (response.status === 429) {
    text += " LinkedIn's daily limit for this member or app is reached: try again later.";
  }
  return text;
}

/** Upstream text made safe for a tool message: one line, bounded. */
const printable = (value: string, max: number): string =>
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is removed.
  value.replace(/[\u0000-\u001f\u007f]+/g, " ").slice(0, max);
