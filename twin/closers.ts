/** What a start has opened so far, to close in reverse order: on a failed start, and at close. */
export class Closers {
  private readonly closers: (() => unknown)[] = [];

  /** Registers how to close something just opened. */
  add(close: () => unknown): void {
    this.closers.push(close);
  }

  /** Closes everything registered, newest first; one failing to close does not keep the others open. */
  async closeAll(): Promise<void> {
    for (const close of this.closers.splice(0).reverse())
      await Promise.resolve()
        .then(close)
        .catch(() => undefined);
  }
}
