/** What a registry tells its server when its list changes at runtime. */
export type ListKind = "tools" | "resources" | "prompts";
export type ListChangeListener = (kind: ListKind) => void;
