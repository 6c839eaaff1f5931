import type { Browser } from "playwright-core";

export declare const CHROMIUM: string;
export declare function chromiumProblem(): string | undefined;
export declare function launchHeadlessChromium(): Promise<Browser>;
