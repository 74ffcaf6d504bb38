/**
 * AWS's own service limits, in one place: the product stays within them, and
 * the twin enforces them, so that what passes here does not fail in the
 * cloud (`docs/design.md`, "What the twin proves about the cloud"). DynamoDB's
 * number range and precision are in `limits.ts` (`isStorableNumber`).
 */
export const AWS_LIMITS = {
  /** AWS IoT Core: the largest PUBLISH payload; a larger one is rejected (the twin disconnects the client). */
  iotMessageBytes: 128 * 1024,
  /** Lambda: the largest asynchronous invocation event. */
  lambdaAsyncPayloadBytes: 256 * 1024,
  /** DynamoDB: the largest item, attribute names and values together. */
  dynamoDbItemBytes: 400 * 1024,
  /** SNS: the largest message, body and attributes together. */
  snsMessageBytes: 256 * 1024,
  /** Kinesis: the largest record (data and partition key), and the most records one PutRecords takes. */
  kinesisRecordBytes: 1024 * 1024,
  kinesisPutRecordsEntries: 500,
  /** Kinesis: the most one PutRecords carries, every record's data and partition key together. */
  kinesisPutRecordsBytes: 5 * 1024 * 1024,
  /** API Gateway HTTP API: the largest request payload, and how long it waits for the integration. */
  httpApiPayloadBytes: 10 * 1024 * 1024,
  httpApiIntegrationTimeoutMs: 30_000,
} as const;
