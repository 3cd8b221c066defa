// flatcar-setgoodroot (flatcar/init bin/flatcar-setgoodroot): `cgpt add -S1 -T0` and `cgpt prioritize` on the
// partition mounted at /usr. The booted slot is marked successful and boots next, so an update staged in the
// other slot is set aside. Writing the partition table needs root.
import type { SimCommand } from './process.ts';

export const flatcarSetGoodRoot: SimCommand = ({ host, io, root }) => {
  if (!root) {
    io.stderr('ERROR: Permission denied\n');
    return 1;
  }
  host.setGoodRoot();
  return 0;
};
