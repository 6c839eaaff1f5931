/**
 * The metadata document fetch against a real HTTPS server on 127.0.0.1
 * (self-signed certificate made at test time): what it sends, the address
 * checks before connecting (with and without the development allow-list),
 * the connection pinned to the checked address, and every refusal: redirect,
 * status, content type, size, time, TLS.
 */
import type { ServerResponse } from "node:http";
import { describe, expect, test } from "vitest";
import {
  type ClientMetadataFetchOptions,
  fetchMetadataDocument,
  type HostResolver,
  metadataFetchPolicy,
} from "../../src/clients/metadata-fetch.js";
import { ClientMetadataError } from "../../src/errors.js";
import { freshPath, metadataDocument, useDocumentHost } from "../helpers/document-host.js";

const host = useDocumentHost();

const fetchWith = (url: string, allowedHosts: string[] = ["127.0.0.1"], options: ClientMetadataFetchOptions = {}) =>
  fetchMetadataDocument(new URL(url), metadataFetchPolicy(allowedHosts, { ca: host.ca, timeoutMs: 1000, ...options }));

async function refusal(promise: Promise<unknown>): Promise<ClientMetadataError> {
  try {
    await promise;
  } catch (err) {
    expect(err).toBeInstanceOf(ClientMetadataError);
    return err as ClientMetadataError;
  }
  throw new Error("expected a ClientMetadataError");
}

/** A resolver that knows only `names`. */
const resolverOf =
  (names: Record<string, string[]>): HostResolver =>
  async (hostname) => {
    const addresses = names[hostname];
    if (addresses === undefined) throw new Error(`ENOTFOUND ${hostname}`);
    return addresses.map((address) => ({ address, family: address.includes(":") ? 6 : 4 }));
  };

describe("a document that can be fetched", () => {
  test("200 application/json: the text and the headers; sent with no cookies or credentials", async () => {
    const path = freshPath("ok");
    const url = host.serve(path, {
      body: metadataDocument(`${host.origin}${path}`),
      headers: { "cache-control": "max-age=600" },
    });
    const fetched = await fetchWith(url);
    expect(JSON.parse(fetched.text)).toMatchObject({ client_id: url });
    expect(fetched.headers["cache-control"]).toBe("max-age=600");
    const sent = host.lastHeaders(path);
    expect(sent?.accept).toBe("application/json");
    expect(sent?.cookie).toBeUndefined();
    expect(sent?.authorization).toBeUndefined();
  });

  test("application/<x>+json is JSON too", async () => {
    const path = freshPath("plus-json");
    const url = host.serve(path, { body: {}, headers: { "content-type": "application/cimd+json; charset=utf-8" } });
    expect((await fetchWith(url)).text).toBe("{}");
  });

  test("a host name is resolved once and the connection goes to the address checked (no second DNS lookup)", async () => {
    // cimd.test exists only in this resolver: the system resolver would fail.
    const path = freshPath("pinned");
    host.serve(path, { body: { pinned: true } });
    const fetched = await fetchWith(`https://cimd.test:${host.port}${path}`, ["cimd.test"], {
      resolve: resolverOf({ "cimd.test": ["127.0.0.1"] }),
    });
    expect(JSON.parse(fetched.text)).toEqual({ pinned: true });
  });

  test("an allow-listed localhost: every address it resolves to is tried (::1 and 127.0.0.1)", async () => {
    const path = freshPath("localhost");
    host.serve(path, { body: { local: true } });
    const fetched = await fetchWith(`https://localhost:${host.port}${path}`, ["localhost"], {
      resolve: resolverOf({ localhost: ["::1", "127.0.0.1"] }),
    });
    expect(JSON.parse(fetched.text)).toEqual({ local: true });
  });
});

describe("SSRF: addresses refused before connecting", () => {
  test("loopback without the allow-list: refused, nothing fetched (127.0.0.1 and localhost through DNS)", async () => {
    const path = freshPath("loopback");
    const url = host.serve(path, { body: {} });
    const literal = await refusal(fetchWith(url, []));
    expect(literal.problem).toBe("refused_address");
    expect(literal.description).toContain("does not resolve to a public address");
    const named = await refusal(fetchWith(`https://localhost:${host.port}${path}`, []));
    expect(named.problem).toBe("refused_address");
    expect(host.hits(path)).toBe(0);
  });

  test("the allow-list covers only the hosts it names", async () => {
    const path = freshPath("other-host");
    host.serve(path, { body: {} });
    const err = await refusal(fetchWith(`https://localhost:${host.port}${path}`, ["127.0.0.1"]));
    expect(err.problem).toBe("refused_address");
    expect(host.hits(path)).toBe(0);
  });

  test.each([
    "https://169.254.169.254/latest/meta-data/client.json",
    "https://10.0.0.1/client.json",
    "https://192.168.1.20/client.json",
    "https://172.16.0.5/client.json",
    "https://100.64.0.1/client.json",
    "https://0.0.0.0/client.json",
    "https://[::1]/client.json",
    "https://[fd00::1]/client.json",
    "https://[fe80::1]/client.json",
    "https://[::ffff:127.0.0.1]/client.json",
    "https://[::ffff:169.254.169.254]/client.json",
  ])("%s is refused", async (url) => {
    const err = await refusal(fetchWith(url, [], { timeoutMs: 300 }));
    expect(err.problem).toBe("refused_address");
  });

  test.each<[string, string[]]>([
    ["the metadata service", ["169.254.169.254"]],
    ["a private address", ["10.0.0.7"]],
    ["a public and a private address (any one refuses)", ["93.184.216.34", "192.168.0.10"]],
    ["unique-local IPv6", ["fd12:3456::1"]],
    ["IPv4-mapped loopback", ["::ffff:127.0.0.1"]],
  ])("a host name resolving to %s is refused", async (_name, addresses) => {
    const err = await refusal(
      fetchWith("https://client.example/client.json", [], { resolve: resolverOf({ "client.example": addresses }) }),
    );
    expect(err.problem).toBe("refused_address");
  });

  test("a host that does not resolve gets the same answer as an internal one (no DNS oracle)", async () => {
    const unknown = await refusal(fetchWith("https://nowhere.example/client.json", [], { resolve: resolverOf({}) }));
    const internal = await refusal(
      fetchWith("https://internal.example/client.json", [], {
        resolve: resolverOf({ "internal.example": ["10.1.2.3"] }),
      }),
    );
    expect(unknown.description).toBe(internal.description);
  });

  test("http: is refused whatever the allow-list", async () => {
    const err = await refusal(fetchWith(`http://127.0.0.1:${host.port}/client.json`));
    expect(err.problem).toBe("invalid_client_id_url");
  });
});

describe("responses refused", () => {
  test("a redirect is not followed", async () => {
    const target = freshPath("redirect-target");
    host.serve(target, { body: {} });
    const path = freshPath("redirect");
    const url = host.serve(path, { status: 302, headers: { location: `${host.origin}${target}` } });
    const err = await refusal(fetchWith(url));
    expect(err.problem).toBe("redirect");
    expect(err.description).toContain("HTTP 302");
    expect(host.hits(target)).toBe(0);
  });

  test("any status other than 200", async () => {
    for (const status of [201, 204, 404, 500]) {
      const url = host.serve(freshPath(`status-${status}`), { status, body: {} });
      const err = await refusal(fetchWith(url));
      expect(err.problem, String(status)).toBe("http_status");
    }
  });

  test.each(["text/html", "text/plain", "application/javascript", "application/jsonp", ""])(
    "content type %j",
    async (type) => {
      const url = host.serve(freshPath("type"), { body: {}, headers: { "content-type": type } });
      expect((await refusal(fetchWith(url))).problem).toBe("content_type");
    },
  );

  test("oversize: by Content-Length, and by counting a body sent without one", async () => {
    const big = JSON.stringify({ padding: "x".repeat(6000) });
    const declared = host.serve(freshPath("big"), { body: big });
    expect((await refusal(fetchWith(declared))).problem).toBe("too_large");

    const streamed = host.serve(freshPath("big-chunked"), (_req, res: ServerResponse) => {
      res.writeHead(200, { "content-type": "application/json" });
      const chunk = "x".repeat(1024);
      for (let i = 0; i < 64; i++) res.write(chunk);
      res.end();
    });
    expect((await refusal(fetchWith(streamed))).problem).toBe("too_large");
    // The limit is ours to choose.
    expect((await fetchWith(declared, ["127.0.0.1"], { maxBytes: 16 * 1024 })).text).toBe(big);
  });

  test("slow: no answer within the time limit, and a body that trickles past it", async () => {
    const silent = host.serve(freshPath("slow"), { body: {}, delayMs: 5_000 });
    const started = Date.now();
    const err = await refusal(fetchWith(silent, ["127.0.0.1"], { timeoutMs: 300 }));
    expect(err.problem).toBe("timeout");
    expect(Date.now() - started).toBeLessThan(2_000);

    const trickle = host.serve(freshPath("trickle"), (_req, res: ServerResponse) => {
      res.writeHead(200, { "content-type": "application/json" });
      res.write("{");
      const timer = setInterval(() => (res.destroyed ? clearInterval(timer) : res.write(" ")), 50);
    });
    expect((await refusal(fetchWith(trickle, ["127.0.0.1"], { timeoutMs: 300 }))).problem).toBe("timeout");
  });

  test("a certificate nobody vouches for (no CA given): fetch_failed", async () => {
    const url = host.serve(freshPath("tls"), { body: {} });
    const err = await refusal(
      fetchMetadataDocument(new URL(url), metadataFetchPolicy(["127.0.0.1"], { timeoutMs: 1000 })),
    );
    expect(err.problem).toBe("fetch_failed");
  });

  test("invalid UTF-8 is not a document", async () => {
    const url = host.serve(freshPath("utf8"), (_req, res: ServerResponse) => {
      res.writeHead(200, { "content-type": "application/json" }).end(Buffer.from([0x7b, 0xff, 0x7d]));
    });
    expect((await refusal(fetchWith(url))).problem).toBe("invalid_json");
  });
});
