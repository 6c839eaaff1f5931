/**
 * `subscriptions/listen` through the modern dispatch: the acknowledgment with
 * the honoured filter, tagged change notifications for the listeners that
 * asked, the end by abort (no answer) and by the server (a completion result).
 */

import { beforeEach, describe, expect, test } from "vitest";
import { LazyAbort } from "../src/protocol/cancellation.js";
import type { JsonRpcMessage, JsonRpcRequest, RequestId } from "../src/protocol/jsonrpc.js";
import { handleModernRequest, type ModernOutcome } from "../src/protocol/modern/dispatch.js";
import type { ServerCapabilities } from "../src/protocol/types.js";
import { ChukMCPServer } from "../src/server.js";
import { type RecordingChannel, recordingChannel } from "./helpers/recording-channel.js";

const SUBSCRIPTION_ID = "io.modelcontextprotocol/subscriptionId";
const SERVER_INFO = "io.modelcontextprotocol/serverInfo";

let server: ChukMCPServer;

const listenRequest = (id: RequestId, notifications?: unknown): JsonRpcRequest => ({
  jsonrpc: "2.0",
  id,
  method: "subscriptions/listen",
  params: {
    ...(notifications === undefined ? {} : { notifications }),
    _meta: {
      "io.modelcontextprotocol/protocolVersion": "2026-07-28",
      "io.modelcontextprotocol/clientCapabilities": {},
    },
  },
});

interface Listener {
  id: RequestId;
  channel: RecordingChannel;
  abort: LazyAbort;
  outcome: Promise<ModernOutcome | undefined>;
}

/** Opens a subscription and waits for its acknowledgment. */
async function listen(id: RequestId, notifications?: unknown): Promise<Listener & { ack: JsonRpcMessage }> {
  const channel = recordingChannel();
  const abort = new LazyAbort();
  const outcome = handleModernRequest(server, {
    request: listenRequest(id, notifications),
    channel,
    cancel: abort,
    auth: undefined,
  });
  const ack = await channel.next();
  return { id, channel, abort, outcome, ack };
}

const ackOf = (id: RequestId, notifications: Record<string, unknown>) => ({
  jsonrpc: "2.0",
  method: "notifications/subscriptions/acknowledged",
  params: { notifications, _meta: { [SUBSCRIPTION_ID]: id } },
});

const tagged = (id: RequestId, method: string, params: Record<string, unknown> = {}) => ({
  jsonrpc: "2.0",
  method,
  params: { ...params, _meta: { [SUBSCRIPTION_ID]: id } },
});

function newServer(capabilities?: ServerCapabilities) {
  server = new ChukMCPServer("subscriptions-test", {
    version: "1.0.0",
    logLevel: "silent",
    ...(capabilities ? { capabilities } : {}),
  });
}

beforeEach(() => newServer());

describe("subscriptions/listen", () => {
  test("the first message is the acknowledgment, tagged with the request id and the honoured filter", async () => {
    const l = await listen(7, {
      toolsListChanged: true,
      promptsListChanged: false,
      resourceSubscriptions: ["test://a", "test://b", "test://a"],
      somethingElse: true,
    });
    expect(l.ack).toEqual(ackOf(7, { toolsListChanged: true, resourceSubscriptions: ["test://a", "test://b"] }));
    expect(l.channel.sent).toHaveLength(1);
    expect(server.subscriptions.size).toBe(1);
    l.abort.abort();
    await l.outcome;
  });

  test("a string request id tags the same way", async () => {
    const l = await listen("sub-1", { promptsListChanged: true });
    expect(l.ack).toEqual(ackOf("sub-1", { promptsListChanged: true }));
    l.abort.abort();
    await l.outcome;
  });

  test("no filter: an empty acknowledgment and nothing afterwards", async () => {
    const l = await listen(1);
    expect(l.ack).toEqual(ackOf(1, {}));
    server.tool("t", {}, () => "");
    server.notifyResourceUpdated("test://a");
    expect(l.channel.sent).toHaveLength(1);
    l.abort.abort();
    await l.outcome;
  });

  test("types the server does not declare are left out of the acknowledgment", async () => {
    newServer({ tools: {}, resources: { listChanged: true }, prompts: { listChanged: true } });
    const l = await listen(2, {
      toolsListChanged: true,
      promptsListChanged: true,
      resourcesListChanged: true,
      resourceSubscriptions: ["test://a"],
    });
    expect(l.ack).toEqual(ackOf(2, { promptsListChanged: true, resourcesListChanged: true }));
    // Not acknowledged, so not sent.
    server.tool("t", {}, () => "");
    server.notifyResourceUpdated("test://a");
    expect(l.channel.sent).toHaveLength(1);
    l.abort.abort();
    await l.outcome;
  });

  test.each([
    ["notifications not an object", "all"],
    ["resourceSubscriptions not an array", { resourceSubscriptions: "test://a" }],
    ["resourceSubscriptions with a non-string", { resourceSubscriptions: ["test://a", 3] }],
  ])("%s → -32602, no acknowledgment", async (_what, notifications) => {
    const channel = recordingChannel();
    const outcome = await handleModernRequest(server, {
      request: listenRequest(3, notifications),
      channel,
      cancel: new LazyAbort(),
      auth: undefined,
    });
    expect(outcome?.response).toMatchObject({ id: 3, error: { code: -32602 } });
    expect(channel.sent).toEqual([]);
    expect(server.subscriptions.size).toBe(0);
  });

  test("a registered tool sends a tagged tools/list_changed only to listeners that asked", async () => {
    const tools = await listen(10, { toolsListChanged: true });
    const prompts = await listen(11, { promptsListChanged: true });
    const resources = await listen(12, { resourcesListChanged: true });
    server.tool("new_tool", {}, () => "new");
    expect(await tools.channel.next()).toEqual(tagged(10, "notifications/tools/list_changed"));
    expect(prompts.channel.sent).toHaveLength(1);
    expect(resources.channel.sent).toHaveLength(1);

    server.prompt("new_prompt", {}, () => "p");
    expect(await prompts.channel.next()).toEqual(tagged(11, "notifications/prompts/list_changed"));
    server.resource("test://new", { name: "new" }, () => "r");
    expect(await resources.channel.next()).toEqual(tagged(12, "notifications/resources/list_changed"));
    server.removeTool("new_tool");
    expect(await tools.channel.next()).toEqual(tagged(10, "notifications/tools/list_changed"));

    expect(tools.channel.sent).toHaveLength(3);
    expect(prompts.channel.sent).toHaveLength(2);
    expect(resources.channel.sent).toHaveLength(2);
    for (const l of [tools, prompts, resources]) l.abort.abort();
    await Promise.all([tools.outcome, prompts.outcome, resources.outcome]);
  });

  test("resourceSubscriptions get notifications/resources/updated through server.notifyResourceUpdated", async () => {
    const a = await listen(20, { resourceSubscriptions: ["test://a"] });
    const ab = await listen(21, { resourceSubscriptions: ["test://a", "test://b"] });
    server.notifyResourceUpdated("test://b");
    expect(await ab.channel.next()).toEqual(tagged(21, "notifications/resources/updated", { uri: "test://b" }));
    expect(a.channel.sent).toHaveLength(1);
    server.notifyResourceUpdated("test://a");
    expect(await a.channel.next()).toEqual(tagged(20, "notifications/resources/updated", { uri: "test://a" }));
    expect(await ab.channel.next()).toEqual(tagged(21, "notifications/resources/updated", { uri: "test://a" }));
    server.notifyResourceUpdated("test://c");
    expect(a.channel.sent).toHaveLength(2);
    expect(ab.channel.sent).toHaveLength(3);
    a.abort.abort();
    ab.abort.abort();
    await Promise.all([a.outcome, ab.outcome]);
  });

  test("aborting ends it: no response, no more notifications, the hub forgets it", async () => {
    const l = await listen(30, { toolsListChanged: true });
    const other = await listen(31, { toolsListChanged: true });
    expect(server.subscriptions.size).toBe(2);
    l.abort.abort(new Error("client went away"));
    expect(await l.outcome).toBeUndefined();
    expect(server.subscriptions.size).toBe(1);
    server.tool("after", {}, () => "");
    expect(l.channel.sent).toHaveLength(1);
    expect(await other.channel.next()).toEqual(tagged(31, "notifications/tools/list_changed"));
    other.abort.abort();
    await other.outcome;
    expect(server.subscriptions.size).toBe(0);
  });

  test("server.subscriptions.closeAll() completes each listen with its subscriptionId", async () => {
    const a = await listen(40, { toolsListChanged: true });
    const b = await listen("forty-one", {});
    server.subscriptions.closeAll();
    const [oa, ob] = await Promise.all([a.outcome, b.outcome]);
    expect(oa).toEqual({
      status: 200,
      response: {
        jsonrpc: "2.0",
        id: 40,
        result: {
          resultType: "complete",
          _meta: { [SUBSCRIPTION_ID]: 40, [SERVER_INFO]: { name: "subscriptions-test", version: "1.0.0" } },
        },
      },
    });
    expect(ob?.response).toMatchObject({
      id: "forty-one",
      result: { resultType: "complete", _meta: { [SUBSCRIPTION_ID]: "forty-one" } },
    });
    expect(server.subscriptions.size).toBe(0);
    server.tool("later", {}, () => "");
    expect(a.channel.sent).toHaveLength(1);
  });
});
