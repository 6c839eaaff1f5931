/** A TCP port that was free on 127.0.0.1 a moment ago: the OAuth package's test helper, one copy for the repository. */
export { freePort } from "../../packages/oauth/test/helpers/free-port.js";
