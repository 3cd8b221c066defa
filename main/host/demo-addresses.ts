/**
 * Where the demo's simulated nodes listen. Linux and Windows route all of 127.0.0.0/8 to loopback, so each node
 * gets an address of its own; macOS has only 127.0.0.1 (127.10.0.x do not exist there), so every node shares it
 * with an SSH port of its own.
 */
export function demoAddresses(platform: NodeJS.Platform = process.platform): { addressBase: string; sharedAddress: boolean } {
  return platform === 'darwin' ? { addressBase: '127.0.0.1', sharedAddress: true } : { addressBase: '127.10.0.1', sharedAddress: false };
}
