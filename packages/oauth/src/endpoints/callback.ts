/** STUB — to be written. */
import type { FastifyInstance } from "fastify";
import type { AuthorizationServerContext } from "../context.js";

export async function callbackRoute(_app: FastifyInstance, _ctx: AuthorizationServerContext): Promise<void> {}
