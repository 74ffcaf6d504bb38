/**
 * The deployed stack's outputs: the stack declares each of these, and the
 * CLIs read them back from the file `npm run deploy` writes, so that after a
 * deploy no name or endpoint has to be typed.
 */

/**
 * Output names, by what they are. Every deployment has all of them but
 * `FunctionName` (direct ingest only: the function the topic rule invokes)
 * and `ReadingStreamName` and `StreamFunctionName` (stream ingest only).
 * `LogGroupName` is the detector's log group in either mode.
 */
export const STACK_OUTPUT = {
  tableName: 'TableName',
  functionName: 'FunctionName',
  logGroupName: 'LogGroupName',
  readingStreamName: 'ReadingStreamName',
  streamFunctionName: 'StreamFunctionName',
  ruleName: 'RuleName',
  iotDataEndpoint: 'IotDataEndpoint',
  deadLetterQueueUrl: 'DeadLetterQueueUrl',
  devicePolicyName: 'DevicePolicyName',
  operationsTopicArn: 'OperationsTopicArn',
  region: 'Region',
  apiUrl: 'ApiUrl',
  eventsTableName: 'EventsTableName',
  notificationsTopicArn: 'NotificationsTopicArn',
} as const;

export type StackOutputName = (typeof STACK_OUTPUT)[keyof typeof STACK_OUTPUT];

/** What each output is (its description in the template). */
export const STACK_OUTPUT_DESCRIPTION: Readonly<Record<StackOutputName, string>> = {
  TableName: 'Printer profiles table',
  FunctionName: 'Detector Lambda function',
  LogGroupName: "Detector function's log group",
  ReadingStreamName: 'Kinesis stream the topic rule puts readings on (ingest=stream)',
  StreamFunctionName: 'Detector Lambda function reading the stream (ingest=stream)',
  RuleName: 'IoT topic rule feeding the detector',
  IotDataEndpoint: 'AWS IoT data endpoint (ATS) devices connect to',
  DeadLetterQueueUrl: 'Readings that failed for good',
  DevicePolicyName: 'IoT policy to attach to device certificates',
  OperationsTopicArn: "SNS topic the stack's alarms notify (ALARM and OK)",
  Region: 'Region the stack is deployed to',
  ApiUrl: 'Operator API base URL (routes under /api/, requests signed with SigV4)',
  EventsTableName: 'History table: anomaly events and alarm transitions',
  NotificationsTopicArn: 'SNS topic printer alarm notifications are published to',
};

/** One stack's outputs as `cdk deploy --outputs-file` writes them (each optional: it depends on the mode). */
export type StackOutputs = { readonly [K in StackOutputName]?: string };

/** Where `npm run deploy` writes the outputs (relative to the project). */
export const OUTPUTS_FILE = 'cdk-outputs.json';
