// Thumbnails for the console's `frame-done` events ("Last frame" on the machine page). The frame file
// is gone once the farm has accepted it (the queue deletes it before announcing the delivery), so the
// thumbnail is made when the render ends and kept here, by job, until its frame is announced.
import { type AgentEvent, MAX_OUTSTANDING_FRAMES, type Thumbnail } from '@flock/protocol';
import type { RenderPort } from '../farm/ports.js';
import { makeThumbnail } from '../link/thumbnail.js';

/** Thumbnails of the frames that can be outstanding, and a few more for frames never announced. */
const KEPT = MAX_OUTSTANDING_FRAMES + 5;

export class FrameThumbnails {
  private readonly byJob = new Map<string, Thumbnail>();

  /**
   * @param wanted whether anyone would receive a thumbnail (a console linked): decoding and scaling
   * a frame costs milliseconds of the agent's CPU per frame, for nothing when no one listens.
   */
  constructor(private readonly wanted: () => boolean = () => true) {}

  remember(jobId: string, thumbnail: Thumbnail | null): void {
    this.byJob.delete(jobId);
    if (thumbnail) this.byJob.set(jobId, thumbnail);
    for (const oldest of this.byJob.keys()) {
      if (this.byJob.size <= KEPT) break;
      this.byJob.delete(oldest);
    }
  }

  /** The event with its frame's thumbnail filled in (once: the entry is dropped). */
  complete(event: AgentEvent): AgentEvent {
    if (event.kind !== 'frame-done' || event.thumbnail) return event;
    const thumbnail = this.byJob.get(event.jobId);
    if (!thumbnail) return event;
    this.byJob.delete(event.jobId);
    return { ...event, thumbnail };
  }

  /** The render port, with a thumbnail taken of every frame it renders. */
  wrap(render: RenderPort): RenderPort {
    return async (request) => {
      const result = await render(request);
      if (result.ok && this.wanted()) this.remember(request.job.id, await makeThumbnail(result.outputFile));
      return result;
    };
  }
}
