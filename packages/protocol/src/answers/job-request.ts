import { z } from 'zod';
import { commandlineProblem } from '../commandline';
import { ProtocolError } from '../errors';
import {
  blendPathAttribute,
  frameAttribute,
  httpUrlProblem,
  isChunkId,
  jobIdAttribute,
  MD5_HEX,
  md5Attribute,
} from '../farm-values';
import {
  type ContentTypeArgument,
  cdata,
  childElement,
  childElements,
  intAttribute,
  parseXmlDocument,
  readAttributes,
  renderDocument,
  renderElement,
  requireChild,
  toXmlCharacters,
  type XmlElement,
} from '../xml';

export interface SessionStats {
  creditsSession: number;
  creditsTotal: number;
  frameRemaining: number;
  waitingProject: number;
  connectedMachine: number;
  renderableProject?: number;
}

/** `<file md5 action/>`: a cached archive the farm comments on; `action="delete"` asks to remove it. */
export interface CachedFileAction {
  md5: string;
  action: string;
}

export interface RendererInfo {
  md5: string;
  /** Blender arguments with the `.e .c .o .f` placeholders (see buildBlenderArgv). */
  commandline: string;
  updateMethod: 'remainingtime' | 'by_tile' | (string & {});
}

/** A project chunk of newer farms (`<chunks><chunk id md5/></chunks>`), carried through as sent. */
export interface JobChunk {
  id: string;
  md5: string;
}

export interface Job {
  id: string;
  useGpu: boolean;
  archiveMd5: string;
  /** Path of the .blend inside the project archive, `/`-separated. */
  path: string;
  /** The frame exactly as sent (e.g. "0007"): output files are named `<id>_<frame>.<ext>`. */
  frame: string;
  /** true for test frames: upload at once instead of queueing. */
  synchronousUpload: boolean;
  /** Absolute URL, already percent-decoded; it contains `?` (see buildValidation). */
  validationUrl: string;
  name: string;
  password: string;
  extras?: string;
  renderer: RendererInfo;
  /** The Python script the farm wants run with the render (`-P`). */
  script: string;
  chunks?: JobChunk[];
}

/**
 * The `<jobrequest>` answer. A status-only answer (`<jobrequest status="200"/>`) is valid. A status-0
 * answer without `<job>` is returned as is (`job: undefined`): deciding what that means (the official
 * client reports an error and pauses) is the caller's business, not the parser's.
 */
export interface JobRequestAnswer {
  status: number;
  stats?: SessionStats;
  files: CachedFileAction[];
  job?: Job;
}

const rootAttributes = z.object({ status: intAttribute });
const statsAttributes = z.object({
  credits_session: intAttribute,
  credits_total: intAttribute,
  frame_remaining: intAttribute,
  waiting_project: intAttribute,
  connected_machine: intAttribute,
  renderable_project: intAttribute.optional(),
});
// Every value that becomes a file name, a directory, a URL or a process argument on the agent is
// checked here, where it is parsed (farm-values.ts): an answer with one hostile value is refused whole.
// The agent treats a refused answer as an unusable farm answer (like one that is not XML): it logs
// why and waits 15-30 min before asking again. It sends no error report for the job it carried: the
// job's values are exactly what cannot be trusted.
const fileAttributes = z.object({ md5: md5Attribute, action: z.string() });
const jobAttributes = z.object({
  id: jobIdAttribute,
  use_gpu: intAttribute,
  archive_md5: md5Attribute,
  path: blendPathAttribute,
  frame: frameAttribute,
  synchronous_upload: z.string(),
  validation_url: z.string(),
  name: z.string(),
  password: z.string(),
  extras: z.string().optional(),
});
const rendererAttributes = z.object({
  md5: md5Attribute,
  commandline: z.string().superRefine((value, context) => {
    const problem = commandlineProblem(value);
    if (problem) context.addIssue({ code: 'custom', message: problem });
  }),
  update_method: z.string(),
});

/**
 * More `<file>` entries than this is not an answer about one agent's cache (which lists a handful
 * of archives): each asks for file deletions, so the answer is refused instead of worked through.
 */
export const MAX_FILE_ACTIONS = 1000;

/** `contentType`: the answer's Content-Type header; see ContentTypeArgument. */
export function parseJobRequestAnswer(body: string, ...contentType: ContentTypeArgument): JobRequestAnswer {
  const root = parseXmlDocument(body, 'jobrequest', ...contentType);
  const { status } = readAttributes(root, rootAttributes);
  const statsElement = childElement(root, 'stats');
  const jobElement = childElement(root, 'job');
  const fileElements = childElements(root, 'file');
  if (fileElements.length > MAX_FILE_ACTIONS) {
    throw new ProtocolError(
      'too-large',
      `${fileElements.length} <file> entries, at most ${MAX_FILE_ACTIONS}`,
    );
  }
  const files = fileElements.map((element) => readAttributes(element, fileAttributes));
  return {
    status,
    ...(statsElement ? { stats: readStats(statsElement) } : {}),
    files,
    ...(jobElement ? { job: readJob(jobElement) } : {}),
  };
}

function readStats(element: XmlElement): SessionStats {
  const stats = readAttributes(element, statsAttributes);
  return {
    creditsSession: stats.credits_session,
    creditsTotal: stats.credits_total,
    frameRemaining: stats.frame_remaining,
    waitingProject: stats.waiting_project,
    connectedMachine: stats.connected_machine,
    ...(stats.renderable_project === undefined ? {} : { renderableProject: stats.renderable_project }),
  };
}

function readJob(element: XmlElement): Job {
  const job = readAttributes(element, jobAttributes);
  const renderer = readAttributes(requireChild(element, 'renderer'), rendererAttributes);
  const chunks = childElement(element, 'chunks');
  return {
    id: job.id,
    useGpu: job.use_gpu === 1,
    archiveMd5: job.archive_md5,
    path: job.path,
    frame: job.frame,
    synchronousUpload: job.synchronous_upload === '1',
    validationUrl: decodeValidationUrl(job.validation_url),
    name: job.name,
    password: job.password,
    ...(job.extras === undefined ? {} : { extras: job.extras }),
    renderer: { md5: renderer.md5, commandline: renderer.commandline, updateMethod: renderer.update_method },
    script: requireChild(element, 'script').text,
    ...(chunks ? { chunks: readChunks(chunks) } : {}),
  };
}

/** Chunks are never fatal (docs/decisions.md D1): a chunk without a token id and an MD5 is skipped. */
function readChunks(element: XmlElement): JobChunk[] {
  return childElements(element, 'chunk').flatMap(({ attributes: { id, md5 } }) =>
    id === undefined || md5 === undefined || !isChunkId(id) || !MD5_HEX.test(md5)
      ? []
      : [{ id, md5: md5.toLowerCase() }],
  );
}

/**
 * Decodes like Java's URLDecoder (the official client): `+` is a space, `%XX` a UTF-8 byte. The result must be an
 * absolute http(s) URL: the agent posts frames there. Whether its host is the farm's is the agent's
 * check (isFarmSite), which knows the farm.
 */
function decodeValidationUrl(encoded: string): string {
  let decoded: string;
  try {
    decoded = decodeURIComponent(encoded.replaceAll('+', ' '));
  } catch {
    throw new ProtocolError(
      'invalid-value',
      `validation_url="${encoded.slice(0, 100)}" on <job> is not percent-encoded`,
    );
  }
  const problem = httpUrlProblem(decoded);
  if (problem) {
    throw new ProtocolError(
      'invalid-value',
      `validation_url="${encoded.slice(0, 100)}" on <job>: ${problem}`,
    );
  }
  return decoded;
}

/**
 * Renders a `<jobrequest>` answer (farm side): validation_url percent-encoded, script as CDATA, and
 * extras="" by default (the 2020 official client requires the attribute).
 */
export function renderJobRequestAnswer(answer: JobRequestAnswer): string {
  const stats = answer.stats ? [renderStats(answer.stats)] : [];
  const files = answer.files.map(({ md5, action }) => renderElement('file', { md5, action }));
  const job = answer.job ? [renderJob(answer.job)] : [];
  return renderDocument('jobrequest', { status: answer.status }, [...stats, ...files, ...job]);
}

function renderStats(stats: SessionStats): string {
  return renderElement('stats', {
    credits_session: stats.creditsSession,
    credits_total: stats.creditsTotal,
    frame_remaining: stats.frameRemaining,
    waiting_project: stats.waitingProject,
    connected_machine: stats.connectedMachine,
    renderable_project: stats.renderableProject,
  });
}

function renderJob(job: Job): string {
  const renderer = renderElement('renderer', {
    md5: job.renderer.md5,
    commandline: job.renderer.commandline,
    update_method: job.renderer.updateMethod,
  });
  const chunks = job.chunks
    ? [renderElement('chunks', {}, job.chunks.map((chunk) => renderElement('chunk', { ...chunk })).join(''))]
    : [];
  const script = renderElement('script', {}, cdata(job.script));
  const attributes = {
    id: job.id,
    use_gpu: job.useGpu ? 1 : 0,
    archive_md5: job.archiveMd5,
    path: job.path,
    frame: job.frame,
    synchronous_upload: job.synchronousUpload ? '1' : '0',
    validation_url: encodeURIComponent(toXmlCharacters(job.validationUrl)),
    name: job.name,
    password: job.password,
    extras: job.extras ?? '',
  };
  const children = [...chunks, renderer, script].map((child) => `\n    ${child}`).join('');
  return renderElement('job', attributes, `${children}\n  `);
}

/** A frame number as the farm sends it: zero-padded to 4 digits (docs/decisions.md D5), e.g. 7 → "0007". */
export function padFrame(frame: number): string {
  if (!Number.isSafeInteger(frame) || frame < 0) throw new ProtocolError('invalid-value', `frame ${frame}`);
  return String(frame).padStart(4, '0');
}
