import type { OrgId } from '../ids.js';
import type { LangGraphThreadService } from './thread-service.js';
import type {
  ChannelVersion,
  DecodedCheckpoint,
  LoadedCheckpoint,
  ThreadCheckpoint,
  ThreadQuery,
  ThreadWrite,
} from './thread-types.js';

/**
 * One org's LangGraph threads (`vault.org(id).langgraph`): what OrgvaultSaver is built on. The org
 * is bound here, so a saver holding this handle has no way to name another org.
 */
export class OrgLangGraph {
  constructor(
    private readonly service: LangGraphThreadService,
    readonly orgId: OrgId,
  ) {}

  putCheckpoint(
    checkpoint: ThreadCheckpoint,
    channelVersions: readonly ChannelVersion[],
    changed: readonly ChannelVersion[],
  ): Promise<void> {
    return this.service.putCheckpoint(this.orgId, checkpoint, channelVersions, changed);
  }
  loadCheckpoint<T>(
    threadId: string,
    checkpointNs: string,
    checkpointId: string | null,
    decode: (checkpoint: ThreadCheckpoint) => Promise<DecodedCheckpoint<T>>,
  ): Promise<LoadedCheckpoint<T> | null> {
    return this.service.loadCheckpoint(this.orgId, threadId, checkpointNs, checkpointId, decode);
  }
  listCheckpoints(query: ThreadQuery): Promise<ThreadCheckpoint[]> {
    return this.service.listCheckpoints(this.orgId, query);
  }
  putWrites(
    threadId: string,
    checkpointNs: string,
    checkpointId: string,
    writes: readonly ThreadWrite[],
  ): Promise<void> {
    return this.service.putWrites(this.orgId, threadId, checkpointNs, checkpointId, writes);
  }
  writes(threadId: string, checkpointNs: string, checkpointId: string): Promise<ThreadWrite[]> {
    return this.service.writes(this.orgId, threadId, checkpointNs, checkpointId);
  }
  deleteThread(threadId: string): Promise<void> {
    return this.service.deleteThread(this.orgId, threadId);
  }
}
