import * as net from 'node:net';

/** Opens n connections one after the other and keeps them open (a listen queue that
 * nobody accepts from holds them). */
export async function connectMany(target: net.NetConnectOpts, n: number): Promise<net.Socket[]> {
  const sockets: net.Socket[] = [];
  for (let i = 0; i < n; i++) {
    const s = net.connect(target);
    s.on('error', () => {});
    await new Promise<void>((resolve, reject) => {
      s.once('connect', resolve);
      s.once('error', reject);
    });
    sockets.push(s);
  }
  return sockets;
}
