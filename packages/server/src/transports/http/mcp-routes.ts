/**
 * The MCP endpoint as a fastify plugin: POST carries client messages, GET
 * opens (or resumes) a session's SSE stream, DELETE ends a session.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { type AuthInfo, principalOf } from "../../auth.js";
import { NULL_CHANNEL } from "../../protocol/channel.js";
import { ErrorCode, invalidRequest, McpHttpError, parseError } from "../../protocol/errors.js";
import {
  type ClassifiedMessage,
  classifyMessage,
  failure,
  type JsonRpcRequest,
  type JsonRpcResponse,
} from "../../protocol/jsonrpc.js";
import { handleLegacyNotification, handleLegacyRequest, handleLegacyResponse } from "../../protocol/legacy/dispatch.js";
import { LegacySession } from "../../protocol/legacy/session.js";
import type { ServerCore } from "../../protocol/server-core.js";
import {
  allowsBatches,
  DEFAULT_HTTP_ASSUMED_VERSION,
  isLegacyVersion,
  primesSseStreams,
} from "../../protocol/versions.js";
import { authenticateRequest } from "./auth-gate.js";
import { allowOrigin, answerPreflight } from "./cors.js";
import { formatEventId, parseEventId } from "./event-store.js";
import { acceptedTypes, acceptedTypesMemo, checkOriginAndHost, type OriginPolicy } from "./guards.js";
import { type HttpSession, STANDALONE_STREAM_ID } from "./http-session.js";
import { answerModernPost, isModernPost } from "./modern-post.js";
import type { ResolvedHttpTransportOptions } from "./options.js";
import { PostResponder } from "./post-responder.js";
import type { HttpSessions, SessionSnapshot } from "./sessions.js";
import { SseWriter } from "./sse.js";

const PARSE_FAILED: unique symbol = Symbol("parse-failed");

/** A legacy request's session (none when stateless) and its protocol state. */
interface LegacyTarget {
  session: HttpSession | undefined;
  legacy: LegacySession;
}
const targetOf = (session: HttpSession): LegacyTarget => ({ session, legacy: session.legacy });
const SESSION_HEADER = "mcp-session-id";
const VERSION_HEADER = "mcp-protocol-version";

const header = (req: FastifyRequest, name: string): string | undefined => {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
};

const httpError = (status: number, code: number, message: string): McpHttpError =>
  new McpHttpError(status, code, message);
const statelessRefusal = (): McpHttpError =>
  new McpHttpError(405, ErrorCode.InvalidRequest, "Method Not Allowed: without a legacy session only POST is served", {
    allow: "POST",
  });

export interface McpRouteDeps {
  server: ServerCore;
  sessions: HttpSessions;
  options: ResolvedHttpTransportOptions;
  policy: OriginPolicy;
  /** Modern requests being answered (sessions count their own), for graceful shutdown. */
  modernInflight: { count: number };
}

/** Registers the MCP endpoint in its own encapsulated context. */
export async function mcpRoutes(app: FastifyInstance, deps: McpRouteDeps): Promise<void> {
  const { server, sessions, options, policy } = deps;
  const accepts = acceptedTypesMemo();

  // Plain JSON.parse: faster than the default parser, and a parse failure is
  // answered as JSON-RPC -32700 rather than a fastify error page. Every other
  // parser goes (fastify's text/plain one would hand a string body to
  // dispatch), so any other Content-Type is answered 415. This scope only.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser(
    "application/json",
    { parseAs: "string", bodyLimit: options.bodyLimit },
    (_req, body, done) => {
      try {
        done(null, JSON.parse(body as string));
      } catch {
        done(null, PARSE_FAILED);
      }
    },
  );

  app.setErrorHandler((err: Error & { statusCode?: number; code?: string }, req, reply) => {
    if (err instanceof McpHttpError) {
      if (err.headers) reply.headers(err.headers);
      return reply.code(err.status).send(failure(null, err.toJSON()));
    }
    const status = err.statusCode ?? 500;
    if (status === 413)
      return reply
        .code(413)
        .send(failure(null, invalidRequest(`request body larger than ${options.bodyLimit} bytes`).toJSON()));
    if (status === 415)
      return reply.code(415).send(failure(null, invalidRequest("Content-Type must be application/json").toJSON()));
    if (status < 500) return reply.code(status).send(failure(null, invalidRequest(err.message).toJSON()));
    req.log.error({ err }, "MCP endpoint failed");
    return reply.code(500).send(failure(null, { code: ErrorCode.InternalError, message: "Internal error" }));
  });

  // A plain (non-async) hook: it runs on every request, and a promise per request costs throughput.
  app.addHook("onRequest", (req, reply, done) => {
    try {
      const origin = header(req, "origin");
      // req.host is X-Forwarded-Host when the peer is a trusted proxy (trustProxy), else Host.
      checkOriginAndHost(policy, req.host || undefined, origin);
      if (origin !== undefined) allowOrigin(reply, origin);
      done();
    } catch (err) {
      done(err as Error);
    }
  });

  /**
   * The session a non-initialize request names: 400 without the header, 404
   * when unknown — or when it was opened by another user (a session id is
   * not a credential: one user's id in another's hands finds nothing).
   */
  const sessionOf = (req: FastifyRequest, auth: AuthInfo | undefined): HttpSession | Promise<HttpSession> => {
    const id = header(req, SESSION_HEADER);
    if (!id) {
      // GET and DELETE exist only for legacy sessions: without one, only POST is allowed.
      if (req.method !== "POST") throw statelessRefusal();
      throw httpError(400, ErrorCode.InvalidRequest, "Bad Request: Mcp-Session-Id header is required");
    }
    // Shared between instances: the record is in the store (a promise, only then).
    if (sessions.shared) return sessions.load(id).then((session) => usableBy(session, auth));
    return usableBy(sessions.get(id), auth);
  };

  const usableBy = (session: HttpSession | undefined, auth: AuthInfo | undefined): HttpSession => {
    if (!session || (session.principal !== "" && session.principal !== principalOf(auth))) {
      throw httpError(404, ErrorCode.SessionNotFound, "Session not found");
    }
    return session;
  };

  const checkVersionHeader = (req: FastifyRequest): string | undefined => {
    const version = header(req, VERSION_HEADER);
    if (version !== undefined && !isLegacyVersion(version)) {
      throw httpError(400, ErrorCode.InvalidRequest, `Bad Request: unsupported MCP-Protocol-Version: ${version}`);
    }
    return version;
  };

  app.post(options.path, async (req, reply) => {
    const body = req.body;
    if (body === PARSE_FAILED)
      return reply.code(400).send(failure(null, parseError("the body is not valid JSON").toJSON()));
    const accept = accepts(header(req, "accept"));
    if (!accept.json && !accept.sse) {
      throw httpError(
        406,
        ErrorCode.InvalidRequest,
        "Not Acceptable: the client must accept application/json or text/event-stream",
      );
    }
    // Synchronous when no verifier is installed: no promise on the hot path.
    const verifying = authenticateRequest(server, req, body);
    const auth = verifying === undefined ? undefined : await verifying;
    if (isModernPost(body, header(req, VERSION_HEADER), header(req, SESSION_HEADER))) {
      deps.modernInflight.count++;
      try {
        return await answerModernPost(server, options, req, reply, accept, auth);
      } finally {
        deps.modernInflight.count--;
      }
    }
    // One message is the common case: no arrays, no Promise.all.
    if (!Array.isArray(body)) return answerLegacyMessage(req, reply, classifyMessage(body), accept, auth);
    return answerLegacyBatch(req, reply, body, accept, auth);
  });

  /**
   * The legacy session a request belongs to: a throwaway one when stateless.
   * A promise only when sessions are shared (the record is in the store).
   */
  function legacySessionFor(req: FastifyRequest, auth: AuthInfo | undefined): LegacyTarget | Promise<LegacyTarget> {
    const version = checkVersionHeader(req);
    if (!options.stateless) {
      const found = sessionOf(req, auth);
      return found instanceof Promise ? found.then(targetOf) : targetOf(found);
    }
    const legacy = new LegacySession(undefined, NULL_CHANNEL, server.sessionOptions);
    legacy.initialized = true;
    legacy.ready = true;
    // Without the header, the spec says to assume 2025-03-26.
    legacy.protocolVersion = version !== undefined && isLegacyVersion(version) ? version : DEFAULT_HTTP_ASSUMED_VERSION;
    return { session: undefined, legacy };
  }

  function legacyResponder(
    reply: FastifyReply,
    session: HttpSession | undefined,
    legacy: LegacySession,
    accept: { json: boolean; sse: boolean },
  ): PostResponder {
    return new PostResponder(reply, session, {
      acceptsSse: accept.sse,
      acceptsJson: accept.json,
      prime: primesSseStreams(legacy.protocolVersion),
      keepAliveMs: options.keepAliveMs,
      retryMs: options.retryMs,
      eventIds: true,
    });
  }

  async function answerLegacyMessage(
    req: FastifyRequest,
    reply: FastifyReply,
    m: ClassifiedMessage,
    accept: { json: boolean; sse: boolean },
    auth: AuthInfo | undefined,
  ): Promise<FastifyReply> {
    if (m.kind === "request" && m.message.method === "initialize") return initialize(req, reply, m.message, auth);
    const target = legacySessionFor(req, auth);
    const { session, legacy } = target instanceof Promise ? await target : target;
    if (m.kind === "invalid") return reply.code(400).send(failure(m.id, m.error.toJSON()));
    const before = session && sessions.snapshot(session);
    if (m.kind === "notification" || m.kind === "response") {
      takeClientMessage(session, legacy, m);
      if (session && before) await sessions.save(session, before);
      return reply.code(202).send();
    }
    const responder = legacyResponder(reply, session, legacy, accept);
    const answer = await handleLegacyRequest(server, legacy, m.message, responder, auth);
    if (session && before) await saveBeforeAnswering(session, before, answer ? [answer] : []);
    responder.finish(answer ? [answer] : [], false);
    return reply;
  }

  /** A client's notification or answer: handled here, else sent on to the instance that awaits it. */
  function takeClientMessage(
    session: HttpSession | undefined,
    legacy: LegacySession,
    m: Extract<ClassifiedMessage, { kind: "notification" | "response" }>,
  ): void {
    const handled =
      m.kind === "notification"
        ? handleLegacyNotification(server, legacy, m.message)
        : handleLegacyResponse(server, legacy, m.message);
    if (!handled && session) sessions.forward(session, m.message);
  }

  /**
   * Writes back what the requests changed of a shared session before the
   * client hears the answer (its next request may land on another instance).
   * A store failure then turns the answers into errors rather than losing the change.
   */
  async function saveBeforeAnswering(
    session: HttpSession,
    before: SessionSnapshot,
    answers: JsonRpcResponse[],
  ): Promise<void> {
    try {
      await sessions.save(session, before);
    } catch (err) {
      if (!(err instanceof McpHttpError)) throw err;
      for (let i = 0; i < answers.length; i++) {
        const answer = answers[i] as JsonRpcResponse;
        answers[i] = failure(answer.id, { code: ErrorCode.InternalError, message: err.message });
      }
    }
  }

  async function answerLegacyBatch(
    req: FastifyRequest,
    reply: FastifyReply,
    body: unknown[],
    accept: { json: boolean; sse: boolean },
    auth: AuthInfo | undefined,
  ): Promise<FastifyReply> {
    if (body.length === 0) throw httpError(400, ErrorCode.InvalidRequest, "Invalid request: empty batch");
    const messages = body.map(classifyMessage);
    if (messages.some((m) => m.kind === "request" && m.message.method === "initialize")) {
      throw httpError(400, ErrorCode.InvalidRequest, "Invalid request: initialize must not be part of a batch");
    }
    const target = legacySessionFor(req, auth);
    const { session, legacy } = target instanceof Promise ? await target : target;
    if (!allowsBatches(legacy.protocolVersion)) {
      throw httpError(
        400,
        ErrorCode.InvalidRequest,
        `Invalid request: JSON-RPC batches are not supported in protocol version ${legacy.protocolVersion}`,
      );
    }
    const errors: JsonRpcResponse[] = [];
    const requests: JsonRpcRequest[] = [];
    const before = session && sessions.snapshot(session);
    for (const m of messages) {
      if (m.kind === "request") requests.push(m.message);
      else if (m.kind === "invalid") errors.push(failure(m.id, m.error.toJSON()));
      else takeClientMessage(session, legacy, m);
    }
    if (requests.length === 0) {
      if (session && before) await sessions.save(session, before);
      if (errors.length === 0) return reply.code(202).send();
      return reply.code(400).send(errors);
    }
    const responder = legacyResponder(reply, session, legacy, accept);
    const answers = await Promise.all(requests.map((r) => handleLegacyRequest(server, legacy, r, responder, auth)));
    const responses: JsonRpcResponse[] = [];
    for (const a of answers) if (a) responses.push(a);
    if (session && before) await saveBeforeAnswering(session, before, responses);
    responder.finish([...errors, ...responses], true);
    return reply;
  }

  async function initialize(
    req: FastifyRequest,
    reply: FastifyReply,
    request: JsonRpcRequest,
    auth: AuthInfo | undefined,
  ) {
    if (options.stateless) {
      const legacy = new LegacySession(undefined, NULL_CHANNEL, server.sessionOptions);
      const response = await handleLegacyRequest(server, legacy, request, NULL_CHANNEL, auth);
      return reply.code(200).send(response);
    }
    if (sessions.full) throw httpError(503, ErrorCode.InternalError, "Too many sessions: try again later");
    const session = sessions.create();
    session.principal = principalOf(auth);
    const response = await handleLegacyRequest(server, session.legacy, request, NULL_CHANNEL, auth);
    if (!response || "error" in response) {
      sessions.delete(session.id);
      return reply.code(200).send(response);
    }
    try {
      await sessions.publish(session);
    } catch (err) {
      sessions.delete(session.id);
      throw err;
    }
    req.log.debug({ session: session.id }, "session opened");
    return reply.code(200).header(SESSION_HEADER, session.id).send(response);
  }

  // Browsers ask before a cross-origin POST with JSON or any MCP header.
  app.options(options.path, async (req, reply) => answerPreflight(req, reply));

  app.get(options.path, async (req, reply) => {
    if (options.stateless) throw statelessRefusal();
    const auth = await authenticateRequest(server, req, undefined);
    const session = await sessionOf(req, auth);
    checkVersionHeader(req);
    if (!acceptedTypes(header(req, "accept")).sse) {
      throw httpError(406, ErrorCode.InvalidRequest, "Not Acceptable: the client must accept text/event-stream");
    }
    session.legacy.lastActivity = Date.now();
    const lastEventId = header(req, "last-event-id");
    const resumeFrom = lastEventId === undefined ? undefined : parseEventId(lastEventId);
    const live = resumeFrom && session.streams.get(resumeFrom.streamId);
    if (sessions.shared && !live) return followSharedStream(reply, session, resumeFrom);
    if (resumeFrom && resumeFrom.streamId !== STANDALONE_STREAM_ID) {
      reply.hijack();
      const writer = new SseWriter(reply.raw, {}, options.keepAliveMs);
      if (live) live.attach(writer, resumeFrom.seq);
      else {
        // The stream has ended: replay what the client missed of it, then end.
        for (const e of session.events.after(resumeFrom.streamId, resumeFrom.seq))
          writer.event(`${e.streamId}_${e.seq}`, e.data);
        writer.end();
      }
      return reply;
    }
    if (!resumeFrom && session.standalone.attached) {
      throw httpError(409, ErrorCode.InvalidRequest, "Conflict: this session already has an open SSE stream");
    }
    reply.hijack();
    const writer = new SseWriter(reply.raw, {}, options.keepAliveMs);
    if (primesSseStreams(session.legacy.protocolVersion))
      writer.event(session.standalone.primingEventId(), "", options.retryMs);
    session.standalone.attach(writer, resumeFrom?.seq);
    return reply;
  });

  /**
   * Shared sessions: the standalone stream, or a stream another instance
   * writes, is carried from the shared log and the bus.
   */
  async function followSharedStream(
    reply: FastifyReply,
    session: HttpSession,
    resumeFrom: { streamId: string; seq: number } | undefined,
  ): Promise<FastifyReply> {
    const sharing = sessions.shared?.sharing;
    if (!sharing) throw new Error("shared sessions expected");
    const stream = resumeFrom?.streamId ?? STANDALONE_STREAM_ID;
    if (!resumeFrom && session.listening) {
      throw httpError(409, ErrorCode.InvalidRequest, "Conflict: this session already has an open SSE stream");
    }
    // A new standalone stream starts now; a resumed one after what the client saw.
    const afterSeq = resumeFrom ? resumeFrom.seq : await sessions.reachStore(sharing.lastSeq(session.id, stream));
    if (stream === STANDALONE_STREAM_ID) await sessions.claimAnnouncements(session);
    reply.hijack();
    const writer = new SseWriter(reply.raw, {}, options.keepAliveMs);
    if (!resumeFrom && primesSseStreams(session.legacy.protocolVersion))
      writer.event(formatEventId(stream, afterSeq), "", options.retryMs);
    await session.follow(stream, writer, afterSeq).catch((err: unknown) => {
      server.logger.warn({ err: (err as Error).message }, "could not read a shared stream");
    });
    return reply;
  }

  app.delete(options.path, async (req, reply) => {
    if (options.stateless) throw statelessRefusal();
    const auth = await authenticateRequest(server, req, undefined);
    const session = await sessionOf(req, auth);
    await sessions.end(session.id);
    req.log.debug({ session: session.id }, "session closed by the client");
    return reply.code(200).send();
  });
}
