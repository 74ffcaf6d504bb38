/**
 * What this container delivered: the tags of the request ids whose writes'
 * outbox entries it delivered (the latest `capacity` of them;
 * `core/request-tag.ts`). A resent reading delivers its write's entries again
 * unless this memory says they were delivered (`docs/design.md`, "Guarantees").
 */
export class DeliveryMemory {
  private readonly tags = new Set<string>();

  constructor(private readonly capacity = 10_000) {}

  has(tag: string): boolean {
    return this.tags.has(tag);
  }

  /** Remembers a delivered write, forgetting the oldest beyond the capacity. */
  add(tag: string): void {
    this.tags.add(tag);
    if (this.tags.size > this.capacity) this.tags.delete(this.tags.values().next().value as string);
  }
}
