/**
 * Named errors of the detector. Transient ones are thrown out of the handler so
 * that Lambda retries the invocation; permanent problems (bad input, bad
 * profile) are never thrown: they are logged, counted and dropped.
 */

/** A failure that a later attempt may not have: Lambda should retry. */
export class TransientError extends Error {
  override readonly name: string = 'TransientError';
}

/** DynamoDB failed (throttling, timeout, service error). */
export class ProfileStoreError extends TransientError {
  override readonly name = 'ProfileStoreError';
}

/** Too many concurrent writers for one printer; nothing was applied. */
export class WriteConflictError extends TransientError {
  override readonly name = 'WriteConflictError';
}

/** An outbox entry (anomaly event, alarm transition, re-notification) was counted but could not be delivered yet; it stays pending. */
export class DeliveryError extends TransientError {
  override readonly name = 'EventPublishError';
}

/** A required environment variable is missing or empty. */
export class ConfigurationError extends Error {
  override readonly name = 'ConfigurationError';
}

/** A profile as a user wrote it breaks the profile rules; the message is one line naming the entry. */
export class InvalidProfileError extends Error {
  override readonly name = 'InvalidProfileError';
}

/** The IoT thing registry failed (throttling, timeout): Lambda retries. */
export class ThingRegistryError extends TransientError {
  override readonly name = 'ThingRegistryError';
}
