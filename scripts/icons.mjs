// Renders build/icons/icon.svg into the PNG sizes electron-builder uses (Linux icon set; macOS .icns and
// Windows .ico are derived by electron-builder from the 1024 and 256 PNGs). Needs ImageMagick.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const dir = fileURLToPath(new URL('../build/icons/', import.meta.url));
const sizes = [16, 32, 48, 64, 128, 256, 512, 1024];

function findConvert() {
  for (const candidate of ['magick', 'convert', 'convert-im6.q16']) {
    const r = spawnSync(candidate, ['-version'], { encoding: 'utf8' });
    if (r.status === 0 && /ImageMagick/.test(r.stdout)) return candidate;
  }
  return null;
}

const convert = findConvert();
if (!convert) {
  process.stderr.write('ImageMagick is needed to render the icons (apt-get install imagemagick / brew install imagemagick).\n');
  process.exit(1);
}
for (const size of sizes) {
  const out = join(dir, `${size}x${size}.png`);
  const r = spawnSync(convert, ['-background', 'none', '-density', '384', join(dir, 'icon.svg'), '-resize', `${size}x${size}`, '-depth', '8', '-strip', `PNG32:${out}`], {
    stdio: ['ignore', 'inherit', 'pipe'],
    encoding: 'utf8',
  });
  if (r.status !== 0) {
    process.stderr.write(r.stderr);
    process.exit(1);
  }
  process.stdout.write(`${out}\n`);
}
