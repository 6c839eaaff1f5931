/**
 * Redis hangs under a running server (SIGSTOP: its connections stay open and
 * nothing answers): requests answer 503 with Retry-After within a second
 * instead of waiting on the silent connection, and the service works again
 * once Redis goes on (SIGCONT).
 */
import { describe, test } from "vitest";
import { clientBeforeOutage, expectOutageAnswered, expectServiceBack, useOutageFixture } from "./outage-requests.js";

const fixture = useOutageFixture();

describe("the store hangs", () => {
  test("503 with Retry-After within a second while Redis is frozen; service as before once it goes on", async ({
    annotate,
  }) => {
    const { server, redis } = fixture;
    const held = await clientBeforeOutage(server, "before the hang");
    redis.pause();
    await expectOutageAnswered(server, held, "Redis frozen", annotate);
    redis.resume();
    await expectServiceBack(server, held, "Redis resumed", annotate);
  });
});
