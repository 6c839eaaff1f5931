/** The shape of a method handler: params and context in, result out. */
import type { RequestContext } from "../../context.js";
import type { ServerCore } from "../server-core.js";

export interface MethodCall {
  readonly server: ServerCore;
  readonly params: Record<string, unknown>;
  readonly ctx: RequestContext;
}

export type MethodResult = Record<string, unknown>;
export type MethodHandler<C extends MethodCall = MethodCall> = (call: C) => MethodResult | Promise<MethodResult>;

const EMPTY: Record<string, unknown> = {};
export const paramsOf = (params: Record<string, unknown> | undefined): Record<string, unknown> => params ?? EMPTY;
