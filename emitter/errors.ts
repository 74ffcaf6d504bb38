/**
 * Named errors of the emitter. Each message is one line a user can act on.
 */

/**
 * A readings file that cannot be replayed: `file:line: reason`, or
 * `file: reason` when no line is at fault (the file is missing or unreadable).
 */
export class ReadingsFileError extends Error {
  override readonly name = 'ReadingsFileError';

  constructor(
    readonly file: string,
    readonly line: number | undefined,
    readonly reason: string,
    options?: ErrorOptions,
  ) {
    super(`${file}${line === undefined ? '' : `:${line}`}: ${reason}`, options);
  }
}

/** The broker or AWS IoT Core could not be reached (refused, timed out, TLS or auth failure). */
export class EmitterConnectionError extends Error {
  override readonly name = 'EmitterConnectionError';
}

/** Replay options that cannot work together (e.g. an AWS IoT Core endpoint without credentials). */
export class ReplayOptionsError extends Error {
  override readonly name = 'ReplayOptionsError';
}
