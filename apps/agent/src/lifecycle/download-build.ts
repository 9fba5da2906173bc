// An agent build downloaded from the agent's own console, over the same connection rules as its
// link (the pinned certificate when it was paired with one), checked against its SHA-256 while it
// streams in and capped in size.
import { createHash } from 'node:crypto';
import { agentBuildPath, type CertPin } from '@flock/protocol';
import { request } from 'undici';
import { certificateMismatch, consoleDispatcher } from '../link/console-http.js';

/** Far above the bundle's size (a few MiB): a console sending more is refused. */
export const MAX_BUILD_BYTES = 64 * 1024 * 1024;

export class BuildDownloadError extends Error {
  override readonly name = 'BuildDownloadError';
}

export interface BuildSource {
  consoleUrl: string;
  pin?: CertPin;
}

/** The bundle of the build named by `sha256`; BuildDownloadError when it cannot be had intact. */
export async function downloadBuild(
  source: BuildSource,
  sha256: string,
  maxBytes = MAX_BUILD_BYTES,
): Promise<Uint8Array> {
  const origin = new URL(source.consoleUrl).origin;
  const url = new URL(agentBuildPath(sha256, 'flock-agent.mjs'), origin).toString();
  const dispatcher = consoleDispatcher(origin, source.pin);
  try {
    const response = await request(url, { dispatcher }); // undici 7 follows no redirect
    if (response.statusCode !== 200) {
      await response.body.dump();
      throw new BuildDownloadError(`the console answered ${response.statusCode} for ${url}`);
    }
    const hash = createHash('sha256');
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of response.body as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (size > maxBytes) {
        response.body.destroy();
        throw new BuildDownloadError(`the build is larger than ${maxBytes} bytes`);
      }
      hash.update(chunk);
      chunks.push(chunk);
    }
    const actual = hash.digest('hex');
    if (actual !== sha256)
      throw new BuildDownloadError(`the download's SHA-256 is ${actual}, the console announced ${sha256}`);
    return Buffer.concat(chunks);
  } catch (error) {
    if (error instanceof BuildDownloadError) throw error;
    const mismatch = certificateMismatch(error);
    if (mismatch)
      throw new BuildDownloadError(
        `the console at ${origin} presented another certificate (expected ${mismatch.pinned}); nothing was downloaded`,
      );
    throw new BuildDownloadError(`cannot download ${url}: ${(error as Error).message}`);
  } finally {
    await dispatcher.close();
  }
}
