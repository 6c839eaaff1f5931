/** Resources (fixed URIs) and resource templates, with their readers. */
import type { RequestContext } from "../context.js";
import { type CacheHint, checkCacheHint } from "../protocol/modern/cache-hints.js";
import type {
  Annotations,
  Icon,
  Meta,
  ResourceContents,
  ResourceDefinition,
  ResourceTemplateDefinition,
} from "../protocol/types.js";
import type { ListChangeListener } from "./change-signal.js";
import type { Completers } from "./completions.js";
import { DefinitionMap } from "./definition-map.js";
import { compileUriTemplate, type UriTemplate } from "./uri-template.js";

export interface ResourceOptions {
  name?: string;
  /** How long clients may reuse a read (modern era); default: the server's `cache.resources`. */
  cache?: CacheHint;
  title?: string;
  description?: string;
  mimeType?: string;
  size?: number;
  annotations?: Annotations;
  icons?: Icon[];
  _meta?: Meta;
}

export interface ResourceTemplateOptions extends Omit<ResourceOptions, "size"> {
  /** Suggestions for the template's variables (`completion/complete`). */
  complete?: Completers;
}

/**
 * What a resource reader returns: text, bytes, one contents item without its
 * `uri` (filled in), or a full list of contents.
 */
export type ResourceReturn =
  | string
  | Uint8Array
  | { text: string; mimeType?: string; _meta?: Meta }
  | { blob: string; mimeType?: string; _meta?: Meta }
  | ResourceContents[];

export type ResourceReader = (uri: URL, ctx: RequestContext) => ResourceReturn | Promise<ResourceReturn>;
export type ResourceTemplateReader = (
  uri: URL,
  variables: Record<string, string>,
  ctx: RequestContext,
) => ResourceReturn | Promise<ResourceReturn>;

export interface ResourceEntry {
  readonly definition: ResourceDefinition;
  readonly cache: CacheHint | undefined;
  readonly read: ResourceReader;
}

export interface ResourceTemplateEntry {
  readonly definition: ResourceTemplateDefinition;
  readonly cache: CacheHint | undefined;
  readonly template: UriTemplate;
  readonly complete: Completers;
  readonly read: ResourceTemplateReader;
}

const nameFromUri = (uri: string): string => {
  const tail = uri
    .replace(/[/?#]+$/, "")
    .split(/[/:]/)
    .pop();
  return tail && tail.length > 0 ? tail : uri;
};

function describe<T extends object>(base: T, options: ResourceOptions): T {
  const out: Record<string, unknown> = { ...(base as Record<string, unknown>) };
  for (const key of ["title", "description", "mimeType", "size", "annotations", "icons", "_meta"] as const) {
    if (options[key] !== undefined) out[key] = options[key];
  }
  return out as T;
}

function parseUri(uri: string, what: string): void {
  try {
    new URL(uri);
  } catch {
    throw new TypeError(`${what}: ${JSON.stringify(uri)} is not an absolute URI`);
  }
}

export class ResourceRegistry {
  private readonly resources: DefinitionMap<ResourceDefinition, ResourceEntry>;
  private readonly templates: DefinitionMap<ResourceTemplateDefinition, ResourceTemplateEntry>;

  constructor(onChange: ListChangeListener) {
    this.resources = new DefinitionMap("resources", "Resource", onChange);
    this.templates = new DefinitionMap("resources", "Resource template", onChange);
  }

  add(uri: string, options: ResourceOptions, read: ResourceReader): ResourceEntry {
    parseUri(uri, "Resource");
    if (typeof read !== "function") throw new TypeError(`Resource "${uri}": reader must be a function`);
    const entry: ResourceEntry = {
      definition: describe<ResourceDefinition>({ uri, name: options.name ?? nameFromUri(uri) }, options),
      cache: options.cache && checkCacheHint(options.cache, `Resource "${uri}" cache`),
      read,
    };
    return this.resources.add(uri, entry);
  }

  addTemplate(
    uriTemplate: string,
    options: ResourceTemplateOptions,
    read: ResourceTemplateReader,
  ): ResourceTemplateEntry {
    if (typeof read !== "function")
      throw new TypeError(`Resource template "${uriTemplate}": reader must be a function`);
    const template = compileUriTemplate(uriTemplate);
    if (template.variables.length === 0) {
      throw new TypeError(`Resource template "${uriTemplate}" has no variables: register it with resource()`);
    }
    const { complete, ...rest } = options;
    for (const name of Object.keys(complete ?? {})) {
      if (!template.variables.includes(name)) {
        throw new TypeError(`Resource template "${uriTemplate}": completer for unknown variable "${name}"`);
      }
    }
    const entry: ResourceTemplateEntry = {
      definition: describe<ResourceTemplateDefinition>({ uriTemplate, name: rest.name ?? uriTemplate }, rest),
      cache: rest.cache && checkCacheHint(rest.cache, `Resource template "${uriTemplate}" cache`),
      template,
      complete: complete ?? {},
      read,
    };
    return this.templates.add(uriTemplate, entry);
  }

  remove(uri: string): boolean {
    return this.resources.remove(uri);
  }

  removeTemplate(uriTemplate: string): boolean {
    return this.templates.remove(uriTemplate);
  }

  get(uri: string): ResourceEntry | undefined {
    return this.resources.get(uri);
  }

  getTemplate(uriTemplate: string): ResourceTemplateEntry | undefined {
    return this.templates.get(uriTemplate);
  }

  /** The fixed resource with this URI, else the first template that matches it. */
  resolve(
    uri: string,
  ):
    | { kind: "resource"; entry: ResourceEntry }
    | { kind: "template"; entry: ResourceTemplateEntry; variables: Record<string, string> }
    | undefined {
    const fixed = this.resources.get(uri);
    if (fixed) return { kind: "resource", entry: fixed };
    for (const entry of this.templates.values()) {
      const variables = entry.template.match(uri);
      if (variables) return { kind: "template", entry, variables };
    }
    return undefined;
  }

  get size(): number {
    return this.resources.size + this.templates.size;
  }

  list(): readonly ResourceDefinition[] {
    return this.resources.list();
  }

  listTemplates(): readonly ResourceTemplateDefinition[] {
    return this.templates.list();
  }
}

/** Turns what a reader returned into the `contents` of a `resources/read` result. */
export function normalizeResourceContents(uri: string, value: ResourceReturn, mimeType?: string): ResourceContents[] {
  const withMime = <T extends ResourceContents>(c: T): T =>
    c.mimeType === undefined && mimeType !== undefined ? { ...c, mimeType } : c;
  if (typeof value === "string") return [withMime({ uri, text: value })];
  if (value instanceof Uint8Array) return [withMime({ uri, blob: Buffer.from(value).toString("base64") })];
  if (Array.isArray(value)) return value.map((c) => withMime(c));
  return [withMime({ uri, ...value } as ResourceContents)];
}
