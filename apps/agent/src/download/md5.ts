import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';

/** Lower-case hex MD5 of a file, streamed (never the whole file in memory). */
export async function md5File(filePath: string): Promise<string> {
  const hash = createHash('md5');
  for await (const chunk of createReadStream(filePath, { highWaterMark: 1024 * 1024 }))
    hash.update(chunk as Buffer);
  return hash.digest('hex');
}

export const MD5_ZIP_NAME = /^([0-9a-f]{32})\.zip$/;
