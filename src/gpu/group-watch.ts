// Which of a plan's work is watched for GPU errors, and what came of it. A dropped dispatch leaves its
// output as it was, so a figure read back after it looks plausible: every read-back of figures first
// awaits the results of all the watched work submitted before it (take) and throws the TrainerError of
// one that failed, so no figure (nor parameters) is returned from rejected work. A failed training
// group fails every later read-back until the parameters are restored to a snapshot known good.
//
// Watched: the first training group of a plan and the first after every read-back (so the first of
// every run, and at least one per statistics or checkpoint period: an error that comes from the shape
// of the work, such as a dispatch past a limit, recurs in every group), from the step's first API call
// (its shard upload, its uniform writes) through its step-table write and submit; and every
// evaluation and forward pass whole (plan.ts wraps those in error-watch.ts's watch). A push/pop pair
// and a promise per watched group: no dispatch, write or submit is added.
//
// The scopes of a training group stay pushed from its first step to its submit, which is the same call
// with one step per submit; with several, other work on the same device between two steps that pushes
// and pops its own scopes nests inside them (as WebGPU's scope stack requires), but work that pushes
// before a group opens and pops after it submits would swap scopes with it.
import { closeScopes, openScopes, throwIfFailed } from './error-watch.ts';

/** The result of watched work: the first error the GPU found in it, or null. */
export interface Watched {
  /** What the work was, for the error's message ("training step 5", "evaluate test"). */
  readonly what: string;
  readonly error: Promise<GPUError | null>;
}

const check = (w: Watched) => w.error.then((e) => throwIfFailed(e, w.what));

export class GroupWatch {
  /** The next training group is watched. */
  private armed = true;
  /** The scopes are pushed around the training group being recorded. */
  private open = false;
  /** Watched training groups not yet taken by a read-back. */
  private readonly groups: Watched[] = [];
  /** Every watched training group taken so far: rejects once one failed and stays rejected until the
   *  parameters are replaced (clear), so a read-back made while an earlier one is still in flight (a
   *  checkpoint before the period's statistics are in) cannot hand out what followed rejected work. */
  private checked: Promise<void> = Promise.resolve();

  constructor(private readonly device: GPUDevice) {}

  /** Before a training step's first API call: pushes the scopes when the group it starts is watched. */
  beforeStep(): void {
    if (!this.armed || this.open) return;
    openScopes(this.device);
    this.open = true;
    this.armed = false;
  }

  /** After a group's submit (or when it is dropped): pops the scopes if they are pushed and keeps the
   *  result as `what`'s. */
  afterGroup(what: string): void {
    if (!this.open) return;
    this.open = false;
    this.groups.push({ what, error: closeScopes(this.device) });
  }

  /** What a read-back awaits before it returns figures: resolves once the GPU has checked every
   *  watched training group submitted so far, and `own` (the read-back's own work watched whole: an
   *  evaluation, a forward pass); rejects with the TrainerError of one that failed ('gpu-error',
   *  'too-large' for out of memory). A failure of `own` is its alone (it changed no parameters). Arms
   *  the watch for the next training group. */
  take(own?: Watched): Promise<void> {
    this.armed = true;
    const groups = this.groups.splice(0);
    if (groups.length > 0) {
      this.checked = Promise.all([this.checked, ...groups.map(check)]).then(() => undefined);
      this.checked.catch(() => {}); // rejections reach whoever awaits a take
    }
    return own ? Promise.all([this.checked, check(own)]).then(() => undefined) : this.checked;
  }

  /** The parameters were restored to a snapshot the caller knows good (plan.restore): what the groups
   *  before did no longer concerns a read-back. */
  clear(): void {
    this.groups.length = 0;
    this.checked = Promise.resolve();
  }
}
