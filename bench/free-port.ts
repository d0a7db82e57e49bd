import net from 'node:net';

/**
 * A free TCP port on 127.0.0.1: the system picks one, the probe closes it again and the
 * number is returned for a server that is about to be started. Shared by the benchmarks
 * and the tests that run the board as its own process.
 */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as net.AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}
