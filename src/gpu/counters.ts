// What a plan asks of the WebGPU API on the host, counted (issue #12): the bench divides the change
// over a block of steps by its steps to report the work per step beside the JS time it costs.

/** Cumulative counts since the plan was created. */
export interface HostCounts {
  /** dispatchWorkgroups calls (each Dispatch.encode). */
  readonly dispatches: number;
  /** setBindGroup calls (one per dispatch today). */
  readonly bindGroupSets: number;
  /** queue.writeBuffer calls of the step and evaluation paths: the step table (one per submitted
   *  group), uniform writes (only when a slot's row count changes; the plan's set-up writes included)
   *  and shard uploads. Not counted: setParams, setOrder,
   *  writeState and forwardRows's input, none of which runs per step. */
  readonly bufferWrites: number;
  /** Submits of recorded steps or evaluation chunks (the plan's flush). */
  readonly submits: number;
}

/** The plan's running counts, shared with its dispatches (and shard stream), which increment them. */
export class HostCounters implements HostCounts {
  dispatches = 0;
  bindGroupSets = 0;
  bufferWrites = 0;
  submits = 0;

  /** A copy, so a caller's snapshot does not move. */
  snapshot(): HostCounts {
    return {
      dispatches: this.dispatches,
      bindGroupSets: this.bindGroupSets,
      bufferWrites: this.bufferWrites,
      submits: this.submits,
    };
  }
}
