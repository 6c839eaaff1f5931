/**
 * The "everything" server: every protocol feature the framework offers, and
 * every fixture the official conformance suite expects (tool, resource and
 * prompt names are the suite's). Also the benchmark target (`echo`).
 */
import { ChukMCPServer, type ChukMCPServerOptions } from "@chuk-mcp/server";
import { z } from "zod";
import { PNG_1X1, WAV_SILENCE } from "./media.js";
import { registerModernFixtures } from "./modern-fixtures.js";
import { registerTaskFixtures } from "./task-fixtures.js";

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve, reject) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener("abort", () => {
      clearTimeout(timer);
      reject(new Error("cancelled"));
    });
  });

export function createEverythingServer(options: ChukMCPServerOptions = {}): ChukMCPServer {
  const mcp = new ChukMCPServer("chuk-everything", {
    version: "0.1.0",
    title: "Everything",
    instructions: "A test server exercising every MCP feature.",
    ...options,
  });

  // ---- tools ---------------------------------------------------------------------

  mcp.tool(
    "echo",
    { description: "Returns the text it is given.", input: { text: z.string().describe("Text to echo") } },
    ({ text }) => text,
  );

  mcp.tool(
    "test_simple_text",
    { description: "Returns a simple text response." },
    () => "This is a simple text response for testing.",
  );

  mcp.tool("test_image_content", { description: "Returns an image." }, () => ({
    type: "image" as const,
    data: PNG_1X1,
    mimeType: "image/png",
  }));

  mcp.tool("test_audio_content", { description: "Returns audio." }, () => ({
    type: "audio" as const,
    data: WAV_SILENCE,
    mimeType: "audio/wav",
  }));

  mcp.tool("test_embedded_resource", { description: "Returns an embedded resource." }, () => ({
    type: "resource" as const,
    resource: {
      uri: "test://embedded-resource",
      mimeType: "text/plain",
      text: "This is an embedded resource content.",
    },
  }));

  mcp.tool("test_multiple_content_types", { description: "Returns text, an image and a resource." }, () => [
    { type: "text" as const, text: "Multiple content types test:" },
    { type: "image" as const, data: PNG_1X1, mimeType: "image/png" },
    {
      type: "resource" as const,
      resource: {
        uri: "test://mixed-content-resource",
        mimeType: "application/json",
        text: '{"test":"data","value":123}',
      },
    },
  ]);

  mcp.tool("test_tool_with_logging", { description: "Sends log messages while it runs." }, async (_args, ctx) => {
    await ctx.log("info", "Tool execution started");
    await sleep(50, ctx.signal);
    await ctx.log("info", "Tool processing data");
    await sleep(50, ctx.signal);
    await ctx.log("info", "Tool execution completed");
    return "Tool with logging executed successfully";
  });

  mcp.tool("test_tool_with_progress", { description: "Reports progress while it runs." }, async (_args, ctx) => {
    for (const step of [0, 50, 100]) {
      if (step > 0) await sleep(50, ctx.signal);
      await ctx.progress(step, 100, `Completed step ${step} of 100`);
    }
    return String(ctx.meta?.progressToken ?? "done");
  });

  mcp.tool("test_error_handling", { description: "Always fails, to test error results." }, () => {
    throw new Error("This tool intentionally returns an error for testing");
  });

  mcp.tool(
    "test_sampling",
    {
      description: "Asks the client's model to answer a prompt.",
      input: { prompt: z.string().describe("The prompt to send to the LLM") },
    },
    async ({ prompt }, ctx) => {
      const answer = await ctx.sample({
        messages: [{ role: "user", content: { type: "text", text: prompt } }],
        maxTokens: 100,
      });
      const text =
        answer.content.type === "text" ? (answer.content as { text: string }).text : JSON.stringify(answer.content);
      return `LLM response: ${text}`;
    },
  );

  mcp.tool(
    "test_elicitation",
    {
      description: "Asks the user for a username and email.",
      input: { message: z.string().describe("The message to show the user") },
    },
    async ({ message }, ctx) => {
      const answer = await ctx.elicit({
        message,
        requestedSchema: {
          type: "object",
          properties: {
            username: { type: "string", description: "User's response" },
            email: { type: "string", description: "User's email address" },
          },
          required: ["username", "email"],
        },
      });
      return `User response: action=${answer.action}, content=${JSON.stringify(answer.content ?? {})}`;
    },
  );

  mcp.tool(
    "test_elicitation_sep1034_defaults",
    { description: "Elicits values that have defaults (SEP-1034)." },
    async (_a, ctx) => {
      const answer = await ctx.elicit({
        message: "Please review and update the form fields with defaults",
        requestedSchema: {
          type: "object",
          properties: {
            name: { type: "string", description: "User name", default: "John Doe" },
            age: { type: "integer", description: "User age", default: 30 },
            score: { type: "number", description: "User score", default: 95.5 },
            status: {
              type: "string",
              description: "User status",
              enum: ["active", "inactive", "pending"],
              default: "active",
            },
            verified: { type: "boolean", description: "Verification status", default: true },
          },
          required: [],
        },
      });
      return `Elicitation completed: action=${answer.action}, content=${JSON.stringify(answer.content ?? {})}`;
    },
  );

  mcp.tool(
    "test_elicitation_sep1330_enums",
    { description: "Elicits every enum form (SEP-1330)." },
    async (_a, ctx) => {
      const answer = await ctx.elicit({
        message: "Please select options from the enum fields",
        requestedSchema: {
          type: "object",
          properties: {
            untitledSingle: {
              type: "string",
              description: "Select one option",
              enum: ["option1", "option2", "option3"],
            },
            titledSingle: {
              type: "string",
              description: "Select one option with titles",
              oneOf: [
                { const: "value1", title: "First Option" },
                { const: "value2", title: "Second Option" },
                { const: "value3", title: "Third Option" },
              ],
            },
            legacyEnum: {
              type: "string",
              description: "Select one option (legacy)",
              enum: ["opt1", "opt2", "opt3"],
              enumNames: ["Option One", "Option Two", "Option Three"],
            },
            untitledMulti: {
              type: "array",
              description: "Select multiple options",
              minItems: 1,
              maxItems: 3,
              items: { type: "string", enum: ["option1", "option2", "option3"] },
            },
            titledMulti: {
              type: "array",
              description: "Select multiple options with titles",
              minItems: 1,
              maxItems: 3,
              items: {
                anyOf: [
                  { const: "value1", title: "First Choice" },
                  { const: "value2", title: "Second Choice" },
                  { const: "value3", title: "Third Choice" },
                ],
              },
            },
          },
          required: [],
        },
      });
      return `Elicitation completed: action=${answer.action}, content=${JSON.stringify(answer.content ?? {})}`;
    },
  );

  mcp.tool(
    "test_reconnection",
    { description: "Closes its SSE connection before answering; the client resumes with Last-Event-ID." },
    async (_a, ctx) => {
      ctx.closeStream();
      await sleep(100, ctx.signal);
      return "Reconnection test completed successfully. The client resumed the stream and received this result.";
    },
  );

  mcp.tool(
    "json_schema_2020_12_tool",
    {
      description: "Tool with JSON Schema 2020-12 features",
      inputSchema: {
        $schema: "https://json-schema.org/draft/2020-12/schema",
        type: "object",
        $defs: {
          address: {
            $anchor: "addressDef",
            type: "object",
            properties: { street: { type: "string" }, city: { type: "string" } },
          },
        },
        properties: {
          name: { type: "string" },
          address: { $ref: "#/$defs/address" },
          contactMethod: { type: "string", enum: ["phone", "email"] },
          phone: { type: "string" },
          email: { type: "string" },
        },
        allOf: [{ anyOf: [{ required: ["phone"] }, { required: ["email"] }] }],
        if: { properties: { contactMethod: { const: "phone" } }, required: ["contactMethod"] },
        // biome-ignore lint/suspicious/noThenProperty: JSON Schema's if/then/else keyword, not a thenable.
        then: { required: ["phone"] },
        else: { required: ["email"] },
        additionalProperties: false,
      },
    },
    (args) => JSON.stringify(args),
  );

  // Beyond the conformance fixtures: structured output, cancellation, roots, URL elicitation.
  mcp.tool(
    "add",
    {
      description: "Adds two numbers and returns a structured result.",
      input: { a: z.number().describe("First addend"), b: z.number().describe("Second addend") },
      output: { sum: z.number() },
      annotations: { readOnlyHint: true, idempotentHint: true, openWorldHint: false },
    },
    ({ a, b }) => ({ sum: a + b }),
  );

  mcp.tool(
    "slow",
    {
      description: "Waits (reporting progress) until done or cancelled.",
      input: { ms: z.number().int().min(0).max(60_000).default(1000).describe("How long to wait") },
    },
    async ({ ms }, ctx) => {
      const steps = 10;
      for (let i = 1; i <= steps; i++) {
        await sleep(ms / steps, ctx.signal);
        await ctx.progress(i, steps);
      }
      return `waited ${ms} ms`;
    },
  );

  mcp.tool("list_roots", { description: "Lists the client's roots." }, async (_a, ctx) => {
    const { roots } = await ctx.listRoots();
    return { roots };
  });

  mcp.tool(
    "connect_account",
    { description: "Asks the user to finish a step in the browser (URL-mode elicitation)." },
    async (_a, ctx) => {
      const answer = await ctx.elicit({
        mode: "url",
        message: "Open this page to connect your account.",
        url: "https://example.com/connect",
        elicitationId: `connect-${ctx.requestId}`,
      });
      return `action=${answer.action}`;
    },
  );

  // ---- resources -------------------------------------------------------------------

  mcp.resource(
    "test://static-text",
    { name: "static-text", description: "A static text resource.", mimeType: "text/plain" },
    () => "This is the content of the static text resource.",
  );
  mcp.resource(
    "test://static-binary",
    { name: "static-binary", description: "A static binary resource (a PNG).", mimeType: "image/png" },
    () => Buffer.from(PNG_1X1, "base64"),
  );
  let watched = 0;
  mcp.resource(
    "test://watched-resource",
    {
      name: "watched-resource",
      description: "A resource that changes when the bump tool runs.",
      mimeType: "text/plain",
    },
    () => `Watched resource content, version ${watched}`,
  );
  mcp.tool(
    "bump_watched_resource",
    { description: "Changes test://watched-resource and notifies subscribers." },
    () => {
      watched += 1;
      mcp.notifyResourceUpdated("test://watched-resource");
      return `version ${watched}`;
    },
  );
  mcp.resourceTemplate(
    "test://template/{id}/data",
    {
      name: "template",
      description: "Data for an id.",
      mimeType: "application/json",
      complete: { id: (value) => ["123", "456", "789"].filter((id) => id.startsWith(value)) },
    },
    (_uri, { id }) => JSON.stringify({ id, templateTest: true, data: `Data for ID: ${id}` }),
  );

  // ---- prompts -------------------------------------------------------------------------

  mcp.prompt(
    "test_simple_prompt",
    { description: "A simple prompt without arguments." },
    () => "This is a simple prompt for testing.",
  );
  mcp.prompt(
    "test_prompt_with_arguments",
    {
      description: "A prompt with two arguments.",
      args: { arg1: z.string().describe("First test argument"), arg2: z.string().describe("Second test argument") },
      complete: {
        arg1: (value) => ["test", "testing", "tested", "other"].filter((v) => v.startsWith(value)),
      },
    },
    ({ arg1, arg2 }) => `Prompt with arguments: arg1='${arg1}', arg2='${arg2}'`,
  );
  mcp.prompt(
    "test_prompt_with_embedded_resource",
    {
      description: "A prompt that embeds a resource.",
      args: { resourceUri: z.string().describe("URI of the resource to embed") },
    },
    ({ resourceUri }) => [
      {
        role: "user",
        content: {
          type: "resource",
          resource: { uri: resourceUri, mimeType: "text/plain", text: "Embedded resource content for testing." },
        },
      },
      { role: "user", content: { type: "text", text: "Please process the embedded resource above." } },
    ],
  );
  mcp.prompt("test_prompt_with_image", { description: "A prompt with an image." }, () => [
    { role: "user", content: { type: "image", data: PNG_1X1, mimeType: "image/png" } },
    { role: "user", content: { type: "text", text: "Please analyze the image above." } },
  ]);

  // ---- 2026-07-28 fixtures: stateless diagnostics, input-required rounds, custom headers ----

  registerModernFixtures(mcp);

  registerTaskFixtures(mcp);

  return mcp;
}
