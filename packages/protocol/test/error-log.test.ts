import { describe, expect, it } from 'vitest';
import { ErrorType, renderErrorLog } from '../src/index';

const RULE = '='.repeat(100);
const base = {
  login: 'alice',
  hostname: 'render-01',
  osName: 'linux',
  clientVersion: '0.1.0',
  cpuName: 'AMD Ryzen 7 5800X',
  cores: 16,
  ramKiB: 32 * 1024 * 1024,
  errorType: ErrorType.RENDERER_CRASHED_PYTHON_ERROR,
  lines: [
    '28-11 13:30:01 (debug) Fra:1 Mem:12.00M',
    '28-11 13:30:02 (debug) Traceback (most recent call last):',
  ],
};

describe('renderErrorLog', () => {
  it('lays out the header of docs/protocol.md §9 followed by the job log', () => {
    const project = { name: 'My project', id: '116372253', frame: '0007', blenderVersion: 'Blender 3.4.1' };
    expect(renderErrorLog({ ...base, project }).split('\n')).toEqual([
      RULE,
      'alice  /  render-01  /  linux  /  Flock v0.1.0',
      'AMD Ryzen 7 5800X  x16  32.0 GB RAM',
      RULE,
      'Project ::: My project',
      'Project id: 116372253  frame: 0007',
      'blender ::: Blender 3.4.1',
      '',
      'ERROR Type :: RENDERER_CRASHED_PYTHON_ERROR',
      RULE,
      '',
      ...base.lines,
      '',
    ]);
  });

  it('says when no project is allocated and adds the GPU line for GPU sessions', () => {
    const log = renderErrorLog({
      ...base,
      errorType: ErrorType.OK,
      gpu: { id: 'CUDA_0', model: 'RTX 3060', vramBytes: 12 * 1024 ** 3 },
      lines: [],
    });
    expect(log).toContain('\nCUDA_0   RTX 3060   12.0 GB VRAM\n');
    expect(log).toContain('\nProject ::: No project allocated.\n\nERROR Type :: OK\n');
    expect(log).not.toContain('Project id:');
  });

  it('names unknown error types UNKNOWN', () => {
    expect(renderErrorLog({ ...base, errorType: 77 })).toContain('ERROR Type :: UNKNOWN');
  });
});
