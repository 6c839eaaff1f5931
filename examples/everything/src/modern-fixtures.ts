/**
 * Fixtures the official conformance suite needs at protocol revision
 * 2026-07-28 (`--requirements 2026-07-28`): the stateless-era diagnostics
 * (missing capability, no requests on a response stream, no logs without
 * `logLevel`, list_changed triggers), the multi round-trip (MRTR,
 * `input_required`) tools and prompt, and a tool with an `x-mcp-header`
 * parameter (SEP-2243). Names, input keys and texts are the suite's.
 *
 * The MRTR fixtures are plain handlers: `ctx.elicit()` / `ctx.sample()` /
 * `ctx.listRoots()` end the round with an input-required result in the
 * modern era (the framework signs `requestState` and runs the handler again
 * on the retry), and are ordinary client requests in the legacy era. The
 * `key` option names each input where the suite expects a specific one.
 */
import type { ChukMCPServer, ElicitParams, RequestContext } from "@chuk-mcp/server";
import { z } from "zod";

/** A one-field form elicitation. */
const askFor = (message: string, field: string, type: "string" | "boolean" = "string"): ElicitParams => ({
  message,
  requestedSchema: { type: "object", properties: { [field]: { type } }, required: [field] },
});

/** The text of an accepted elicitation's field, or a placeholder. */
const fieldOf = (answer: { action: string; content?: Record<string, unknown> }, field: string): string =>
  answer.action === "accept" && answer.content?.[field] !== undefined
    ? String(answer.content[field])
    : `(${answer.action})`;

const sampleText = (answer: { content: unknown }): string => {
  const content = answer.content as { type?: string; text?: unknown };
  return content.type === "text" && typeof content.text === "string" ? content.text : JSON.stringify(content);
};

/** Registers the 2026-07-28 fixtures on `mcp`. */
export function registerModernFixtures(mcp: ChukMCPServer): void {
  // ---- server-stateless diagnostics ----------------------------------------------

  mcp.tool(
    "test_missing_capability",
    {
      description:
        "Needs the client's sampling capability: without it the request fails with -32021 (MissingRequiredClientCapability).",
    },
    async (_a, ctx) => {
      const answer = await ctx.sample(
        { messages: [{ role: "user", content: { type: "text", text: "Say hello." } }], maxTokens: 20 },
        { key: "sample" },
      );
      return `Sampled: ${sampleText(answer)}`;
    },
  );

  mcp.tool(
    "test_streaming_elicitation",
    {
      description:
        "Asks the user a question; in 2026-07-28 that ends the round with an input-required result, never a request on the response stream.",
    },
    async (_a, ctx) => {
      const answer = await ctx.elicit(askFor("What is your name?", "name"), { key: "user_name" });
      return `Hello, ${fieldOf(answer, "name")}!`;
    },
  );

  mcp.tool(
    "test_logging_tool",
    { description: "Logs while it runs; the messages reach only clients that asked for a log level." },
    async (_a, ctx) => {
      await ctx.log("info", "test_logging_tool started");
      await ctx.log("debug", { step: "evaluating" });
      await ctx.log("info", "test_logging_tool finished");
      return "Logging evaluated";
    },
  );

  // The triggers fire list_changed without changing what the list shows: a
  // hidden entry is added and at once removed (each is a change signal), so
  // consecutive tools/list (prompts/list) results stay identical.
  mcp.tool(
    "test_trigger_tool_change",
    { description: "Fires notifications/tools/list_changed (the listed tools stay the same)." },
    () => {
      mcp.tool(
        "test_trigger_tool_change_probe",
        { description: "Transient: exists only to change the tool list." },
        () => "",
      );
      mcp.removeTool("test_trigger_tool_change_probe");
      return "Tool list change triggered";
    },
  );

  mcp.tool(
    "test_trigger_prompt_change",
    { description: "Fires notifications/prompts/list_changed (the listed prompts stay the same)." },
    () => {
      mcp.prompt(
        "test_trigger_prompt_change_probe",
        { description: "Transient: exists only to change the prompt list." },
        () => "",
      );
      mcp.removePrompt("test_trigger_prompt_change_probe");
      return "Prompt list change triggered";
    },
  );

  // ---- input-required results (MRTR, SEP-2322) -----------------------------------------

  mcp.tool(
    "test_input_required_result_elicitation",
    { description: "Asks for the user's name (input key user_name), then greets them." },
    async (_a, ctx) => {
      const answer = await ctx.elicit(askFor("What is your name?", "name"), { key: "user_name" });
      return `Hello, ${fieldOf(answer, "name")}!`;
    },
  );

  mcp.tool(
    "test_input_required_result_sampling",
    { description: "Asks the client's model a question (input key capital_question) and returns its answer." },
    async (_a, ctx) => {
      const answer = await ctx.sample(
        {
          messages: [{ role: "user", content: { type: "text", text: "What is the capital of France?" } }],
          maxTokens: 100,
        },
        { key: "capital_question" },
      );
      return `Sampling result: ${sampleText(answer)}`;
    },
  );

  mcp.tool(
    "test_input_required_result_list_roots",
    { description: "Asks for the client's roots (input key client_roots) and counts them." },
    async (_a, ctx) => {
      const { roots } = await ctx.listRoots({ key: "client_roots" });
      return `Found ${roots.length} root(s): ${roots.map((r) => r.uri).join(", ")}`;
    },
  );

  mcp.tool(
    "test_input_required_result_request_state",
    { description: "Asks for a confirmation; the retry carries the signed requestState back (answers 'state-ok')." },
    async (_a, ctx) => {
      const answer = await ctx.elicit(askFor("Please confirm", "ok", "boolean"), { key: "confirm" });
      return `state-ok: requestState validated (confirmed: ${fieldOf(answer, "ok")})`;
    },
  );

  mcp.tool(
    "test_input_required_result_multiple_inputs",
    { description: "Asks for an elicitation, a sampling and the roots in one round." },
    async (_a, ctx) => {
      const [name, greeting, roots] = await Promise.all([
        ctx.elicit(askFor("What is your name?", "name"), { key: "user_name" }),
        ctx.sample(
          { messages: [{ role: "user", content: { type: "text", text: "Generate a greeting" } }], maxTokens: 50 },
          { key: "greeting" },
        ),
        ctx.listRoots({ key: "client_roots" }),
      ]);
      return `Name: ${fieldOf(name, "name")}; Greeting: ${sampleText(greeting)}; Roots: ${roots.roots.length}`;
    },
  );

  mcp.tool(
    "test_input_required_result_multi_round",
    { description: "Asks two questions in two rounds (step1, then step2), then answers." },
    async (_a, ctx) => {
      const name = await ctx.elicit(askFor("Step 1: What is your name?", "name"), { key: "step1" });
      const color = await ctx.elicit(askFor("Step 2: What is your favorite color?", "color"), { key: "step2" });
      return `Multi-round complete for ${fieldOf(name, "name")} who likes ${fieldOf(color, "color")}`;
    },
  );

  mcp.tool(
    "test_input_required_result_tampered_state",
    { description: "Asks for a confirmation; a retry with an altered requestState is rejected." },
    async (_a, ctx) => {
      await ctx.elicit(askFor("Please confirm", "ok", "boolean"), { key: "confirm" });
      return "integrity-ok: state verified";
    },
  );

  mcp.tool(
    "test_input_required_result_capabilities",
    { description: "Asks only for the inputs the request's client capabilities allow (elicitation, sampling)." },
    async (_a, ctx: RequestContext) => {
      const caps = ctx.clientCapabilities;
      const asks: Promise<string>[] = [];
      if (caps.elicitation) {
        asks.push(
          ctx.elicit(askFor("Elicitation input", "value"), { key: "elicit_input" }).then((a) => fieldOf(a, "value")),
        );
      }
      if (caps.sampling) {
        asks.push(
          ctx
            .sample(
              { messages: [{ role: "user", content: { type: "text", text: "Sample request" } }], maxTokens: 50 },
              { key: "sample_input" },
            )
            .then(sampleText),
        );
      }
      if (asks.length === 0) return "No supported capabilities declared";
      return `capabilities-ok: ${(await Promise.all(asks)).join(", ")}`;
    },
  );

  mcp.prompt(
    "test_input_required_result_prompt",
    { description: "A prompt that asks the user for context (input key user_context) before it renders." },
    async (_a, ctx) => {
      const answer = await ctx.elicit(askFor("What context should the prompt use?", "context"), {
        key: "user_context",
      });
      return `Prompt with context: ${fieldOf(answer, "context")}`;
    },
  );

  // ---- custom headers (SEP-2243) -----------------------------------------------------------

  mcp.tool(
    "test_custom_header",
    {
      description: "Echoes its region, which clients mirror into the Mcp-Param-Region header (x-mcp-header).",
      input: {
        region: z.string().describe("The region to route to").meta({ "x-mcp-header": "Region" }),
      },
    },
    ({ region }) => `Region: ${region}`,
  );
}
