/**
 * The compliance findings this stack accepts on purpose, each with its
 * reason: Control Tower proactive controls (cfn-guard) and cfn-lint checks.
 * One list, read by `npm run preflight` (cli/preflight-checks.ts) and by
 * test/lib/compliance.test.ts, which also proves that none is stale.
 */

/** Control Tower rules this stack does not meet, on purpose. */
export const GUARD_ACCEPTED: Readonly<Record<string, string>> = {
  'ct-lambda-pr-3':
    'The functions reach only public AWS endpoints (DynamoDB, IoT Data, SNS, CloudWatch); a VPC would add NAT gateways or ' +
    'six interface endpoints (about $30-90 a month per AZ) and cold-start latency, and protect no private resource.',
  'ct-cloudwatch-pr-2':
    'Function and API access logs are kept one month by default (the `logRetention` props raise it): they are for ' +
    'operating the stack, while events, counts and the alarm history live in DynamoDB; a year of per-reading logs ' +
    'would cost more than the rest of the stack.',
  'ct-cloudwatch-pr-3':
    'CloudWatch Logs encrypts every log group at rest with service keys; these logs hold printer ids and readings, no ' +
    'secrets, so a customer-managed key would add cost and a key policy to maintain without protecting anything more.',
  'ct-sqs-pr-1':
    'Both queues are themselves the last stop: the dead-letter destinations of the detector and the topic rule, and of ' +
    'the sweep. A further DLQ would only move the same messages; their depth alarms are the safeguard instead.',
};

/**
 * Control Tower findings acknowledged on the one resource they concern
 * (`Validations.of(resource).acknowledge`, with the reason there), as
 * `control construct/path`.
 */
export const GUARD_ACKNOWLEDGED_IN_PLACE: readonly (readonly [control: string, rule: string, path: string])[] = [
  [
    'CT.LAMBDA.PR.2',
    'lambda_function_public_access_prohibited_check',
    'PrinterAnomaly/OperatorApi/Api/ANY--api--{proxy+}/Function-Permission',
  ],
];

/** cfn-lint checks this stack does not meet, on purpose. */
export const CFN_LINT_ACCEPTED: Readonly<Record<string, string>> = {
  W3005:
    'CDK adds an explicit DependsOn from each function and rule to its role policy, so the policy exists before the ' +
    'resource uses it; cfn-lint sees the same dependency through the GetAtt of the role and calls it redundant, which is harmless.',
};
