export function electronBinaryPath(): string | null;
export function installElectronBinary(): string | null;
export const missingElectronHelp: string;
export const installLog: string;
