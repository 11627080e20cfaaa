/** Event streams with checkpoints (see docs/sdk-events.md). */
export { createEventStream, DEFAULT_BATCH_SIZE, DEFAULT_MAX_BLOCK_RANGE, DEFAULT_POLLING_INTERVAL_MS } from './event-stream.js'
export type { EventBatch, EventPosition, EventStream, EventStreamOptions, StreamEvent } from './event-stream.js'
export { fileCheckpointStore, memoryCheckpointStore, isAfter, writeFileAtomic } from './checkpoint.js'
export type { Checkpoint, CheckpointStore, SavedCheckpoint } from './checkpoint.js'
export { finalBlockNumber, type StreamClient } from './finality.js'
