// The shapes of the values a farm sends that the agent turns into file names, directories, URLs or
// process arguments. The answer parsers refuse anything else with a ProtocolError, so a hostile or
// broken farm can never name a path outside the agent's cache (`../../x` as an MD5), a program
// argument that writes elsewhere, or a URL with another scheme.
import { z } from 'zod';
import { ProtocolError } from './errors';

/** An archive MD5 (`archive_md5`, `renderer@md5`, `file@md5`): 32 hex digits, returned lower-case. */
export const MD5_HEX = /^[0-9a-fA-F]{32}$/;
/** A job id: SheepIt's are decimal integers (compared with FIRST_REAL_JOB_ID to spot test frames). */
export const JOB_ID = /^[0-9]{1,19}$/;
/** A frame number: decimal, at most 7 digits (Blender's last frame is 1 048 574). */
export const FRAME_NUMBER = /^[0-9]{1,7}$/;
/** A chunk id of newer farms (docs/protocol.md §10): a short token (the Rust client stores chunks as `<id>.wool`). */
const CHUNK_ID = /^[A-Za-z0-9_-]{1,64}$/;
/** Longest `.blend` path inside an archive, and longest URL, the agent accepts from a farm. */
export const MAX_FARM_PATH_CHARS = 1024;
export const MAX_FARM_URL_CHARS = 4096;

export const md5Attribute = z
  .string()
  .regex(MD5_HEX, { error: 'not an MD5 (32 hex digits)' })
  .transform((md5) => md5.toLowerCase());
export const jobIdAttribute = z.string().regex(JOB_ID, { error: 'not a job id (1 to 19 decimal digits)' });
export const frameAttribute = z
  .string()
  .regex(FRAME_NUMBER, { error: 'not a frame number (1 to 7 decimal digits)' });
export const blendPathAttribute = z.string().superRefine((value, context) => {
  const problem = relativePathProblem(value);
  if (problem) context.addIssue({ code: 'custom', message: problem });
});
export const urlAttribute = z.string().superRefine((value, context) => {
  const problem = httpUrlProblem(value);
  if (problem) context.addIssue({ code: 'custom', message: problem });
});

export function isChunkId(value: string): boolean {
  return CHUNK_ID.test(value);
}

/** Control characters (C0, DEL, C1): never part of a file name or URL a farm has a reason to send. */
export function hasControlCharacter(value: string): boolean {
  for (let index = 0; index < value.length; index++) {
    const code = value.charCodeAt(index);
    if (code < 0x20 || (code >= 0x7f && code <= 0x9f)) return true;
  }
  return false;
}

/**
 * Why `value` is not a safe relative path inside an archive (`/`-separated, as the farm sends the
 * `.blend` path), or undefined when it is one: no absolute path, drive letter, backslash, empty,
 * `.` or `..` segment, or control character, and at most MAX_FARM_PATH_CHARS characters.
 */
export function relativePathProblem(value: string): string | undefined {
  if (value === '') return 'empty path';
  if (value.length > MAX_FARM_PATH_CHARS) return `longer than ${MAX_FARM_PATH_CHARS} characters`;
  if (hasControlCharacter(value)) return 'control character';
  if (value.includes('\\')) return 'backslash';
  if (value.startsWith('/')) return 'absolute path';
  if (/^[A-Za-z]:/.test(value)) return 'drive letter';
  const segments = value.split('/');
  if (segments.some((segment) => segment === '' || segment === '.' || segment === '..')) {
    return 'empty, "." or ".." segment';
  }
  return undefined;
}

/** Why `value` is not an absolute http(s) URL without credentials, or undefined when it is one. */
export function httpUrlProblem(value: string): string | undefined {
  if (value.length > MAX_FARM_URL_CHARS) return `longer than ${MAX_FARM_URL_CHARS} characters`;
  if (hasControlCharacter(value)) return 'control character';
  const url = parseUrl(value);
  if (url === undefined) return 'not an absolute URL';
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return `${url.protocol} is not http or https`;
  if (url.username !== '' || url.password !== '') return 'credentials in the URL';
  return undefined;
}

/**
 * Why an endpoint path of the config answer is unusable, or undefined: it must start with exactly
 * one `/` (the client appends it to the server URL, so it can only name a path on the farm itself)
 * and hold only printable ASCII without spaces or backslashes.
 */
export function endpointPathProblem(value: string): string | undefined {
  if (value.length > MAX_FARM_URL_CHARS) return `longer than ${MAX_FARM_URL_CHARS} characters`;
  if (!value.startsWith('/') || value.startsWith('//')) return 'does not start with a single "/"';
  if (!/^[\x21-\x7e]+$/.test(value) || value.includes('\\')) {
    return 'not printable ASCII without spaces and backslashes';
  }
  return undefined;
}

/**
 * Whether `url` may receive what the farm at `farmUrl` asks the agent to send there (frames). The
 * official client posts a frame to whatever `validation_url` says. Flock accepts only the farm's own
 * origin, or an https URL on the default port of a host in the farm's own domain: SheepIt stores
 * frames on "shepherd" servers, subdomains of the farm's domain (client.sheepit-renderfarm.com →
 * *.sheepit-renderfarm.com). So a farm cannot make an agent upload a user's frames to a third party.
 */
export function isFarmSite(farmUrl: string, url: string): boolean {
  const farm = parseUrl(farmUrl);
  const target = parseUrl(url);
  if (farm === undefined || target === undefined) return false;
  if (target.origin === farm.origin) return true;
  if (target.protocol !== 'https:' || target.port !== '') return false;
  const domain = farmDomain(farm.hostname);
  return domain !== undefined && (target.hostname === domain || target.hostname.endsWith(`.${domain}`));
}

/** The farm host minus its first label when it has three or more labels; none for IP addresses. */
function farmDomain(hostname: string): string | undefined {
  if (hostname.startsWith('[') || /^[0-9.]+$/.test(hostname)) return undefined;
  const labels = hostname.split('.');
  if (labels.length < 2) return undefined;
  return labels.length === 2 ? hostname : labels.slice(1).join('.');
}

/** Throws 'invalid-value' unless `url` is on the farm's own site (see isFarmSite). */
export function assertFarmSite(farmUrl: string, url: string, what: string): void {
  if (!isFarmSite(farmUrl, url)) {
    throw new ProtocolError(
      'invalid-value',
      `${what} ${originOf(url)} is not on the farm's own site (${originOf(farmUrl)})`,
    );
  }
}

/** `new URL` without the throw: undefined for anything that is not an absolute URL. */
function parseUrl(value: string): URL | undefined {
  try {
    return new URL(value);
  } catch {
    return undefined;
  }
}

function originOf(url: string): string {
  return parseUrl(url)?.origin ?? JSON.stringify(url.slice(0, 100));
}
