/** One input-required round (MRTR): answers known up front, requests collected, the round ending once. */
import { describe, expect, test } from "vitest";
import { McpError, McpHttpError } from "../src/protocol/errors.js";
import { InputRound, readInputResponses } from "../src/protocol/modern/input-round.js";

/** An InputRound whose end is observable as a promise. */
class TestRound extends InputRound {
  readonly ended: Promise<void>;
  constructor(answers: Record<string, unknown>) {
    let end!: () => void;
    const ended = new Promise<void>((resolve) => {
      end = resolve;
    });
    super(answers, () => end());
    this.ended = ended;
  }
}

const ELICIT = { message: "Your name?", requestedSchema: { type: "object", properties: { name: { type: "string" } } } };
const SAMPLE = { messages: [{ role: "user", content: { type: "text", text: "Hi" } }], maxTokens: 10 };

/** Lets pending callbacks (and setImmediate) run. */
const tick = () => new Promise<void>((resolve) => setImmediate(resolve));

/** Tracks whether a promise has settled. */
function track<T>(p: Promise<T>) {
  const state = { settled: false };
  p.then(
    () => {
      state.settled = true;
    },
    () => {
      state.settled = true;
    },
  );
  return state;
}

async function rejection(p: Promise<unknown>): Promise<McpError> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(McpError);
    return err as McpError;
  }
  throw new Error("expected a rejection");
}

describe("InputRound.ask", () => {
  test("an answer given in this round is returned at once, and recorded as used", async () => {
    const answer = { action: "accept", content: { name: "Ada" } };
    const round = new TestRound({ user_name: answer, unused: { action: "decline" } });
    await expect(round.ask("elicitation/create", ELICIT, "user_name")).resolves.toEqual(answer);
    expect(round.used).toEqual({ user_name: answer });
    expect(round.pending).toEqual({});
    expect(round.hasPending).toBe(false);
  });

  test("a missing answer is collected as pending and the round ends; the ask never settles", async () => {
    const round = new TestRound({});
    const ended = track(round.ended);
    const asked = track(round.ask("elicitation/create", ELICIT, "user_name"));
    expect(round.pending).toEqual({ user_name: { method: "elicitation/create", params: ELICIT } });
    expect(round.hasPending).toBe(true);
    await round.ended;
    expect(ended.settled).toBe(true);
    await tick();
    expect(asked.settled).toBe(false);
    expect(round.used).toEqual({});
  });

  test("asks made in the same turn (Promise.all) all join one round", async () => {
    const round = new TestRound({});
    const all = track(
      Promise.all([
        round.ask("elicitation/create", ELICIT, "user_name"),
        round.ask("sampling/createMessage", SAMPLE, "greeting"),
        round.ask("roots/list", {}, "client_roots"),
      ]),
    );
    await round.ended;
    expect(round.pending).toEqual({
      user_name: { method: "elicitation/create", params: ELICIT },
      greeting: { method: "sampling/createMessage", params: SAMPLE },
      // roots/list has no params: the request is sent without them.
      client_roots: { method: "roots/list" },
    });
    expect(all.settled).toBe(false);
  });

  test("answered and unanswered asks mix: the answered one resolves, the other is pending", async () => {
    const round = new TestRound({ first: { action: "accept", content: { name: "Ada" } } });
    const first = round.ask("elicitation/create", ELICIT, "first");
    const second = track(round.ask("elicitation/create", ELICIT, "second"));
    await expect(first).resolves.toEqual({ action: "accept", content: { name: "Ada" } });
    await round.ended;
    expect(Object.keys(round.pending)).toEqual(["second"]);
    expect(round.used).toEqual({ first: { action: "accept", content: { name: "Ada" } } });
    expect(second.settled).toBe(false);
  });

  test("default keys are the method's kind and its position", async () => {
    const round = new TestRound({});
    void round.ask("elicitation/create", ELICIT);
    void round.ask("elicitation/create", { ...ELICIT, message: "Again?" });
    void round.ask("sampling/createMessage", SAMPLE);
    void round.ask("roots/list", {});
    await round.ended;
    expect(Object.keys(round.pending)).toEqual(["elicitation-1", "elicitation-2", "sampling-1", "roots-1"]);
    expect(round.pending["elicitation-2"]).toEqual({
      method: "elicitation/create",
      params: { ...ELICIT, message: "Again?" },
    });
  });

  test("default keys find the answers of an earlier round in the same order", async () => {
    const round = new TestRound({ "elicitation-1": { action: "accept", content: { name: "A" } } });
    await expect(round.ask("elicitation/create", ELICIT)).resolves.toEqual({
      action: "accept",
      content: { name: "A" },
    });
    void round.ask("elicitation/create", ELICIT);
    await round.ended;
    expect(Object.keys(round.pending)).toEqual(["elicitation-2"]);
  });

  test("asking for the same pending key twice is a server error (-32603) that fails the request", async () => {
    const round = new TestRound({});
    void round.ask("elicitation/create", ELICIT, "k");
    const err = await rejection(round.ask("elicitation/create", ELICIT, "k"));
    expect(err).toBeInstanceOf(McpHttpError);
    expect(err.code).toBe(-32603);
    expect(err.message).toBe('input key "k" was requested twice in one round');
    expect(Object.keys(round.pending)).toEqual(["k"]);
  });

  test.each(["constructor", "toString", "hasOwnProperty", "__proto__"])(
    "a key named like an Object.prototype member (%s) is an ordinary key",
    async (key) => {
      const round = new TestRound({});
      const first = await Promise.race([
        round.ask("elicitation/create", ELICIT, key).then(
          () => "answered",
          (err: Error) => `refused: ${err.message}`,
        ),
        round.ended.then(() => "round ended"),
      ]);
      expect(first).toBe("round ended");
      expect(Object.keys(round.pending)).toEqual([key]);
      // And its answer is found when given.
      const answered = new TestRound(JSON.parse(`{"${key}": {"action": "accept"}}`) as Record<string, unknown>);
      await expect(answered.ask("elicitation/create", ELICIT, key)).resolves.toEqual({ action: "accept" });
    },
  );

  test.each([
    ["elicitation/create", { action: "maybe" }],
    ["elicitation/create", { content: { name: "Ada" } }],
    ["sampling/createMessage", { role: "assistant" }],
    ["sampling/createMessage", { role: "assistant", content: null }],
    ["sampling/createMessage", { content: { type: "text", text: "x" } }],
    ["roots/list", { roots: "file:///" }],
    ["roots/list", {}],
  ])("an invalid answer to %s (%j) is -32602", async (method, answer) => {
    const round = new TestRound({ k: answer });
    const err = await rejection(round.ask(method, {}, "k"));
    // A protocol error: a tool that meets it fails the request rather than answering isError.
    expect(err).toBeInstanceOf(McpHttpError);
    expect(err.code).toBe(-32602);
    expect(err.message).toBe(`Invalid params: inputResponses["k"] is not a valid answer to ${method}`);
    expect(round.used).toEqual({});
    expect(round.pending).toEqual({});
  });

  test.each([
    ["a string", "accept"],
    ["an array", [{ action: "accept" }]],
    ["null", null],
  ])("an answer that is %s is -32602", async (_what, answer) => {
    const err = await rejection(new TestRound({ k: answer }).ask("elicitation/create", ELICIT, "k"));
    expect(err.code).toBe(-32602);
  });

  test.each([
    ["elicitation/create", { action: "decline" }],
    ["elicitation/create", { action: "cancel" }],
    ["sampling/createMessage", { role: "assistant", content: { type: "text", text: "Paris" }, model: "m" }],
    ["roots/list", { roots: [{ uri: "file:///tmp" }] }],
    ["some/other", { anything: true }],
  ])("a valid answer to %s is returned", async (method, answer) => {
    await expect(new TestRound({ k: answer }).ask(method, {}, "k")).resolves.toEqual(answer);
  });
});

describe("readInputResponses", () => {
  test("undefined → no answers", () => {
    expect(readInputResponses(undefined)).toEqual({});
  });

  test("a map of objects is returned as is", () => {
    const value = { a: { action: "accept" }, b: { roots: [] } };
    expect(readInputResponses(value)).toBe(value);
    expect(readInputResponses({})).toEqual({});
  });

  test.each([
    ["null", null],
    ["an array", [{ action: "accept" }]],
    ["a string", "answers"],
    ["a number", 1],
  ])("inputResponses that is %s → -32602", (_what, value) => {
    let thrown: unknown;
    try {
      readInputResponses(value);
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(McpError);
    expect((thrown as McpError).code).toBe(-32602);
    expect((thrown as McpError).message).toBe(
      "Invalid params: inputResponses must be an object mapping input keys to results",
    );
  });

  test.each([
    ["null", null],
    ["an array", []],
    ["a string", "accept"],
    ["a number", 0],
    ["a boolean", true],
  ])("an entry that is %s → -32602 naming its key", (_what, entry) => {
    let thrown: unknown;
    try {
      readInputResponses({ fine: { action: "accept" }, bad_key: entry });
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(McpError);
    expect((thrown as McpError).code).toBe(-32602);
    expect((thrown as McpError).message).toBe('Invalid params: inputResponses["bad_key"] must be an object');
  });
});
