/**
 * Multi round-trip requests (MRTR): in the modern era a handler's requests to
 * the client (`ctx.elicit()`, `ctx.sample()`, `ctx.listRoots()`) do not go to
 * the client as JSON-RPC requests. Each has a key; when the client has
 * already answered it (in `inputResponses`, or in an earlier round carried
 * by `requestState`) the answer is returned at once. Otherwise the request is
 * collected, and — once the handler has asked for everything it can ask for
 * in this turn — the round ends with an `InputRequiredResult`. The client's
 * retry runs the same handler again, which now finds its answers.
 */
import { ErrorCode, protocolError } from "../errors.js";

/** What the client must answer before the request can complete. */
export interface InputRequest {
  method: string;
  params?: Record<string, unknown>;
}

const ANSWER_SHAPE: Record<string, (v: Record<string, unknown>) => boolean> = {
  "elicitation/create": (v) => v.action === "accept" || v.action === "decline" || v.action === "cancel",
  "sampling/createMessage": (v) => typeof v.role === "string" && typeof v.content === "object" && v.content !== null,
  "roots/list": (v) => Array.isArray(v.roots),
};

/** A protocol error (it fails the request, even from inside a tool): the client sent bad input. */
const badInput = (detail: string) => protocolError(ErrorCode.InvalidParams, `Invalid params: ${detail}`);

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/** Checks `inputResponses` is a map of objects; -32602 otherwise. */
export function readInputResponses(value: unknown): Record<string, Record<string, unknown>> {
  if (value === undefined) return {};
  if (!isRecord(value)) throw badInput("inputResponses must be an object mapping input keys to results");
  for (const [key, answer] of Object.entries(value)) {
    if (!isRecord(answer)) throw badInput(`inputResponses["${key}"] must be an object`);
  }
  return value as Record<string, Record<string, unknown>>;
}

export class InputRound {
  /** Requests asked this round that have no answer yet, by key. */
  readonly pending: Record<string, InputRequest> = Object.create(null);
  private readonly counters = new Map<string, number>();
  private ending = false;

  constructor(
    /** Answers known so far: earlier rounds' (from requestState) and this retry's. */
    readonly answers: Record<string, unknown>,
    /** Called once, when the handler has asked for input it does not have. */
    private readonly onEnd: () => void,
  ) {}

  /** The answers the handler actually used (carried forward in requestState). */
  readonly used: Record<string, unknown> = Object.create(null);

  /**
   * Returns the client's answer for this input, or — when there is none —
   * never settles: the round ends with the request among `inputRequests`.
   */
  ask(method: string, params: Record<string, unknown>, key?: string): Promise<Record<string, unknown>> {
    const k = key ?? this.nextKey(method);
    // Own keys only: an input named "constructor" must not find Object.prototype's.
    const answer = Object.hasOwn(this.answers, k) ? this.answers[k] : undefined;
    if (answer !== undefined) {
      const valid = isRecord(answer) && (ANSWER_SHAPE[method]?.(answer) ?? true);
      // A protocol error (it fails the request, not the tool): the client sent a bad answer.
      if (!valid) {
        return Promise.reject(badInput(`inputResponses["${k}"] is not a valid answer to ${method}`));
      }
      this.used[k] = answer;
      return Promise.resolve(answer as Record<string, unknown>);
    }
    if (Object.hasOwn(this.pending, k)) {
      return Promise.reject(
        protocolError(ErrorCode.InternalError, `input key "${k}" was requested twice in one round`),
      );
    }
    this.pending[k] = Object.keys(params).length === 0 && method === "roots/list" ? { method } : { method, params };
    if (!this.ending) {
      this.ending = true;
      // Let requests made in the same turn (Promise.all) join this round.
      setImmediate(this.onEnd);
    }
    return new Promise(() => {});
  }

  get hasPending(): boolean {
    return Object.keys(this.pending).length > 0;
  }

  private nextKey(method: string): string {
    const kind = method.split("/")[0] ?? "input";
    const n = (this.counters.get(kind) ?? 0) + 1;
    this.counters.set(kind, n);
    return `${kind}-${n}`;
  }
}
