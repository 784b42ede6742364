// The worker's half of the protocol: one typed postMessage, the run-state line, and how errors become
// the text the page shows.
import type { FromWorker, RunState } from './protocol.ts';

export const post = (m: FromWorker, transfer: Transferable[] = []): void => self.postMessage(m, { transfer });

export function setState(state: RunState, detail?: string): void {
  post(detail === undefined ? { type: 'state', state } : { type: 'state', state, detail });
}

export const message = (e: unknown): string => (e instanceof Error ? e.message : String(e));
