/**
 * An independent, deliberately naive model of the original system, written
 * from the rules in `docs/design.md` ("Detection") without reusing the detector: the oracle that tests
 * compare the product against.
 */
export interface ModelProfile {
  lower: number;
  upper: number;
  window: number;
}

export interface ModelReading {
  printerId: string;
  value: number;
  seq?: number;
}

export interface ModelPrinter {
  outOfBoundsCount: number;
  eventCount: number;
}

/** Replays readings in order; returns final counts and the events in order. */
export function runModel(profiles: Record<string, ModelProfile>, readings: readonly ModelReading[]) {
  const printers: Record<string, ModelPrinter> = {};
  const lastSeq: Record<string, number> = {};
  const events: { PrinterId: string; events: number }[] = [];
  for (const id of Object.keys(profiles)) printers[id] = { outOfBoundsCount: 0, eventCount: 0 };
  for (const r of readings) {
    const profile = profiles[r.printerId];
    const printer = printers[r.printerId];
    if (!profile || !printer) continue;
    if (r.seq !== undefined) {
      const last = lastSeq[r.printerId];
      if (last !== undefined && r.seq <= last) continue;
      lastSeq[r.printerId] = r.seq;
    }
    const out = r.value < profile.lower || r.value > profile.upper;
    if (out) {
      printer.outOfBoundsCount = printer.outOfBoundsCount + 1;
    } else {
      printer.outOfBoundsCount = 0;
    }
    if (printer.outOfBoundsCount >= profile.window) {
      printer.eventCount = printer.eventCount + 1;
      printer.outOfBoundsCount = 0;
      events.push({ PrinterId: r.printerId, events: printer.eventCount });
    }
  }
  return { printers, events };
}
