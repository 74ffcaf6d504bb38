import type { PrinterState } from './core/types.ts';

/**
 * Last known state per printer, least recently used first out: a guess that
 * saves a read (writes are guarded by it, so a stale guess costs one retry).
 */
export class StateCache {
  private readonly states = new Map<string, PrinterState>();

  constructor(private readonly capacity: number) {}

  get(printerId: string): PrinterState | undefined {
    const state = this.states.get(printerId);
    if (state !== undefined) {
      // Refresh recency: Map iteration order is insertion order.
      this.states.delete(printerId);
      this.states.set(printerId, state);
    }
    return state;
  }

  set(state: PrinterState): void {
    this.states.delete(state.printerId);
    this.states.set(state.printerId, state);
    if (this.states.size > this.capacity) {
      const oldest = this.states.keys().next().value;
      if (oldest !== undefined) this.states.delete(oldest);
    }
  }

  clear(): void {
    this.states.clear();
  }

  delete(printerId: string): void {
    this.states.delete(printerId);
  }
}
