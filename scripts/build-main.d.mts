export const root: string;
export const mainBundle: string;
export const cliBundle: string;
export function buildMain(opts?: { pruneStale?: boolean }): Promise<void>;
export const checkoutCliDir: string;
export function buildCli(opts?: { outDir?: string; pruneStale?: boolean }): Promise<void>;
export function buildRenderer(): void;
