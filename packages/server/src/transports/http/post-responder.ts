/**
 * Answers one POST: as plain JSON when the handlers sent nothing but their
 * results, or — the moment a handler sends a notification or a request to the
 * client — as an SSE stream that carries those messages and then the results.
 * JSON is the fast path; SSE is paid for only when it is needed.
 */
import type { FastifyReply } from "fastify";
import type { MessageChannel } from "../../protocol/channel.js";
import type { JsonRpcMessage, JsonRpcResponse } from "../../protocol/jsonrpc.js";
import { EventStore } from "./event-store.js";
import type { HttpSession } from "./http-session.js";
import { OutStream } from "./out-stream.js";
import { SseWriter } from "./sse.js";

export interface PostResponderOptions {
  acceptsSse: boolean;
  /** False when the client takes only SSE: then even a plain answer is streamed. */
  acceptsJson: boolean;
  /** Send the 2025-11-25 priming event (an id and empty data) first. */
  prime: boolean;
  keepAliveMs: number;
  retryMs: number;
  /** Legacy streams carry event ids (resumable); modern ones do not. */
  eventIds: boolean;
}

const NO_STORE = new EventStore(0);

/** The responder is itself the channel of the request(s) it answers: no closures per request. */
export class PostResponder implements MessageChannel {
  private stream: OutStream | undefined;
  private finished = false;

  constructor(
    private readonly reply: FastifyReply,
    /** The session, when there is one (not in stateless mode). */
    private readonly session: HttpSession | undefined,
    private readonly options: PostResponderOptions,
  ) {}

  send(message: JsonRpcMessage): void {
    if (!this.stream) {
      if (this.finished || !this.options.acceptsSse) {
        // The client cannot take a stream here: the session's own stream carries it instead.
        this.session?.legacy.outbound.send(message);
        return;
      }
      this.upgrade();
    }
    this.stream?.write(message);
  }

  private upgrade(): OutStream {
    this.reply.hijack();
    const writer = new SseWriter(this.reply.raw, {}, this.options.keepAliveMs);
    const stream = this.session ? this.session.openStream() : new OutStream("p1", NO_STORE, this.options.eventIds);
    if (this.options.prime) writer.event(stream.primingEventId(), "", this.options.retryMs);
    stream.attach(writer, 0);
    this.stream = stream;
    return stream;
  }

  /**
   * Ends the connection now but not the stream: later messages are kept for
   * the client to fetch with GET and Last-Event-ID (SSE polling).
   */
  disconnect(): void {
    if (this.finished || !this.options.acceptsSse || !this.session) return;
    const stream = this.stream ?? this.upgrade();
    stream.detach();
  }

  /** Sends the results: the last events of the stream, or the JSON body. */
  finish(responses: JsonRpcResponse[], batch: boolean, status = 200): void {
    if (!this.stream && !this.options.acceptsJson && responses.length > 0) this.upgrade();
    this.finished = true;
    if (this.stream) {
      for (const response of responses) this.stream.write(response);
      if (this.session) this.session.closeStream(this.stream);
      else this.stream.finish();
      return;
    }
    if (responses.length === 0) {
      // Every request was cancelled, so there is nothing to answer; a POST that
      // carried requests still gets a stream (empty) rather than 202.
      if (this.options.acceptsSse) {
        this.reply.hijack();
        new SseWriter(this.reply.raw, {}, 0).end();
      } else {
        this.reply.code(202).send();
      }
      return;
    }
    this.reply
      .code(status)
      .header("content-type", "application/json")
      .send(JSON.stringify(batch ? responses : responses[0]));
  }
}
