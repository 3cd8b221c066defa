export const root: string;
export const mainBundle: string;
export const cliBundle: string;
export function buildMain(): Promise<void>;
export function buildRenderer(): void;
