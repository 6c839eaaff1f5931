/** STUB — to be written. */
import type { AuthInfo, AuthRequest, AuthVerifier } from "@chuk-mcp/server";
import type { AuthorizationServerContext } from "../context.js";

export interface OAuthResourceVerifierOptions {
  protect: "tools" | "all";
}

export class OAuthResourceVerifier implements AuthVerifier {
  readonly protectAll: boolean;
  constructor(
    readonly context: Promise<AuthorizationServerContext>,
    options: OAuthResourceVerifierOptions,
  ) {
    this.protectAll = options.protect === "all";
  }
  async verify(_request: AuthRequest): Promise<AuthInfo | undefined> {
    return undefined;
  }
}
