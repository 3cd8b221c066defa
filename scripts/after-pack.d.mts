import type { FuseConfig } from '@electron/fuses';
export function fuseConfig(opts: { testBuild: boolean }): FuseConfig;
export function afterPack(context: unknown): Promise<void>;
export default afterPack;
