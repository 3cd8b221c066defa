// electron-builder afterPack hook: flips the Electron fuses of the packaged binary before it is signed.
// FLATDECK_TEST_BUILD=1 keeps the inspector flags working, which Playwright's _electron needs to attach;
// release builds turn them off.
import { FuseV1Options, FuseVersion } from '@electron/fuses';

/** The fuse wire for flatdeck; `testBuild` only decides whether --inspect is honoured. */
export function fuseConfig({ testBuild }) {
  return {
    version: FuseVersion.V1,
    strictlyRequireAllFuses: false,
    [FuseV1Options.RunAsNode]: false,
    [FuseV1Options.EnableCookieEncryption]: true,
    [FuseV1Options.EnableNodeOptionsEnvironmentVariable]: false,
    [FuseV1Options.EnableNodeCliInspectArguments]: testBuild,
    [FuseV1Options.EnableEmbeddedAsarIntegrityValidation]: true,
    [FuseV1Options.OnlyLoadAppFromAsar]: true,
    // The renderer is served from app://, so file:// pages need no extra powers.
    [FuseV1Options.GrantFileProtocolExtraPrivileges]: false,
  };
}

export async function afterPack(context) {
  const testBuild = process.env.FLATDECK_TEST_BUILD === '1';
  await context.packager.addElectronFuses(context, fuseConfig({ testBuild }));
}

export default afterPack;
