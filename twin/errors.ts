/** The twin's named errors, matched by class. */

/** The twin could not start; the message is one line for the user. */
export class TwinStartError extends Error {
  override readonly name = 'TwinStartError';
}

/** A wait on the twin timed out or the twin was closed. */
export class TwinWaitError extends Error {
  override readonly name = 'TwinWaitError';
}

/** A server of the twin could not listen on `port`: one line for the user when the reason is a common one. */
export function portError(error: unknown, what: string, port: number): Error {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'EADDRINUSE') return new TwinStartError(`${what} port ${port} is already in use`);
  if (code === 'EACCES') return new TwinStartError(`${what} port ${port} needs privileges`);
  return error as Error;
}
