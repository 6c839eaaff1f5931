/** Argument completion: what prompts and resource templates offer as suggestions. */

/** Other arguments the user has already filled in, as the client sends them. */
export interface CompletionContext {
  arguments?: Record<string, string>;
}

/** Suggests values for one argument, given what the user has typed so far. */
export type Completer = (value: string, context: CompletionContext) => string[] | Promise<string[]>;

/** Completers by argument name. */
export type Completers = Record<string, Completer>;

export interface CompletionResult {
  values: string[];
  total?: number;
  hasMore?: boolean;
}

/** The spec caps one completion answer at 100 values. */
export const MAX_COMPLETION_VALUES = 100;

export async function runCompleter(
  completer: Completer | undefined,
  value: string,
  context: CompletionContext,
): Promise<CompletionResult> {
  if (!completer) return { values: [] };
  const all = await completer(value, context);
  if (all.length <= MAX_COMPLETION_VALUES) return { values: all, total: all.length, hasMore: false };
  return { values: all.slice(0, MAX_COMPLETION_VALUES), total: all.length, hasMore: true };
}
