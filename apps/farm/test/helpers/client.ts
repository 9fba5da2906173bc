import {
  buildConfigRequest,
  buildDownloadRequest,
  buildErrorReport,
  buildJobRequest,
  buildKeepAlive,
  buildLogout,
  buildValidation,
  type ConfigParams,
  type Endpoints,
  endpointsFromConfig,
  type HttpRequestSpec,
  type Job,
  type JobRequestAnswer,
  type JobRequestParams,
  padFrame,
  parseConfigAnswer,
  parseErrorAnswer,
  parseJobRequestAnswer,
  parseJobValidateAnswer,
  parseKeepAliveAnswer,
} from '@flock/protocol';

/** A minimal protocol client for tests: sends the @flock/protocol request specs with fetch and a cookie jar. */
export interface HttpAnswer {
  status: number;
  contentType: string | null;
  text: string;
  bytes: Buffer;
}

export const CONFIG_PARAMS: ConfigParams = {
  login: 'demo',
  password: 'demo',
  version: '7.24000.0',
  os: 'linux',
  osVersion: 'linux debian 12',
  bits: '64bit',
  cpuFamily: '23',
  cpuModel: '49',
  cpuModelName: 'Test CPU',
  cpuCores: 2,
  ramKiB: 8_000_000,
  hostname: 'test-host',
  ui: 'Flock',
  headless: true,
  hwid: 'f00d',
};

export const JOB_PARAMS: JobRequestParams = {
  computeMethod: 1,
  networkDl: 0,
  networkUp: 0,
  cores: 2,
  memoryKiB: 4_000_000,
  maxFrameTimeSeconds: 0,
};

export class TestClient {
  cookie: string | undefined;
  endpoints: Endpoints | undefined;

  constructor(readonly farmUrl: string) {}

  async send(spec: HttpRequestSpec, file?: Uint8Array): Promise<HttpAnswer> {
    const headers: Record<string, string> = {};
    if (this.cookie) headers.cookie = this.cookie;
    let body: string | URLSearchParams | FormData | undefined;
    if (spec.form) body = new URLSearchParams(spec.form);
    if (spec.body) {
      headers['content-type'] = spec.body.contentType;
      body = spec.body.text;
    }
    if (spec.multipart) {
      const form = new FormData();
      for (const [name, value] of Object.entries(spec.multipart.fields)) form.append(name, value);
      const { field, filename, contentType } = spec.multipart.file;
      form.append(field, new Blob([file ?? new Uint8Array()], { type: contentType }), filename);
      body = form;
    }
    const response = await fetch(spec.url, { method: spec.method, headers, body });
    const setCookie = response.headers.getSetCookie()[0];
    if (setCookie) this.cookie = setCookie.split(';')[0];
    const bytes = Buffer.from(await response.arrayBuffer());
    return {
      status: response.status,
      contentType: response.headers.get('content-type'),
      text: bytes.toString('utf8'),
      bytes,
    };
  }

  async login(overrides: Partial<ConfigParams> = {}): Promise<Endpoints> {
    const answer = await this.send(buildConfigRequest(this.farmUrl, { ...CONFIG_PARAMS, ...overrides }));
    const config = parseConfigAnswer(answer.text, answer.contentType);
    if (config.status !== 0) throw new Error(`login failed with status ${config.status}`);
    this.endpoints = endpointsFromConfig(this.farmUrl, config);
    return this.endpoints;
  }

  get ends(): Endpoints {
    if (!this.endpoints) throw new Error('not logged in');
    return this.endpoints;
  }

  async requestJob(cache: string[] = [], params: Partial<JobRequestParams> = {}): Promise<JobRequestAnswer> {
    const answer = await this.send(buildJobRequest(this.ends, { ...JOB_PARAMS, ...params }, cache));
    return parseJobRequestAnswer(answer.text, answer.contentType);
  }

  async job(): Promise<Job> {
    const answer = await this.requestJob();
    if (!answer.job) throw new Error(`no job: status ${answer.status}`);
    return answer.job;
  }

  download(type: 'binary' | 'job', jobId: string): Promise<HttpAnswer> {
    return this.send(buildDownloadRequest(this.ends, type, jobId));
  }

  async keepAlive(job?: Job): Promise<number> {
    const answer = await this.send(
      buildKeepAlive(this.ends, { paused: false, job: job ? { id: job.id, frame: job.frame } : undefined }),
    );
    return parseKeepAliveAnswer(answer.text, answer.contentType).status;
  }

  async validate(job: Job, image: Uint8Array): Promise<number> {
    const spec = buildValidation(job.validationUrl, {
      renderTimeSeconds: 3,
      memoryUsedKiB: 1000,
      filename: `${job.id}_${job.frame}.png`,
      contentType: 'image/png',
    });
    const answer = await this.send(spec, image);
    return parseJobValidateAnswer(answer.text, answer.contentType).status;
  }

  async reportError(type: number, job: Job | undefined, log: string): Promise<number> {
    const spec = buildErrorReport(this.ends, {
      type,
      job: job ? { id: job.id, frame: job.frame, renderTimeSeconds: 1 } : undefined,
      filename: 'farm_1.txt',
    });
    const answer = await this.send(spec, new TextEncoder().encode(log));
    return parseErrorAnswer(answer.text, answer.contentType).status;
  }

  async logout(): Promise<number> {
    return (await this.send(buildLogout(this.ends))).status;
  }
}

export function frameNumber(job: Job): number {
  const number = Number(job.frame);
  if (padFrame(number) !== job.frame) throw new Error(`frame ${job.frame} is not zero-padded to 4 digits`);
  return number;
}
