// Loopback file server for the benchmarks (a separate process, so it does not share the agent's
// event loop): GET /<name> streams <dir>/<name>; prints the port on stdout.
import { createReadStream, statSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';

const dir = process.argv[2] as string;
const server = createServer((req, res) => {
  const file = path.join(dir, path.basename(req.url ?? '/'));
  try {
    const { size } = statSync(file);
    res.writeHead(200, { 'content-length': size, 'content-type': 'application/zip' });
    createReadStream(file, { highWaterMark: 1024 * 1024 }).pipe(res);
  } catch {
    res.writeHead(404).end();
  }
});
server.listen(0, '127.0.0.1', () => console.log((server.address() as AddressInfo).port));
