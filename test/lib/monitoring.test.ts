import { describe, expect, it } from 'vitest';
import { METRIC, METRICS_NAMESPACE, SERVICE_NAME, SWEEP_METRIC } from '../../contract/index.ts';
import { getAttOf, onlyResource, refTo, sharedSynth } from '../support/cdk-app.ts';
import { NOTIFICATIONS_TOPIC, OPERATIONS_TOPIC, SWEEP, sweepQueueId } from './stack-parts.ts';

const { template } = await sharedSynth();

const firstOccurrence = {
  Threshold: 1,
  EvaluationPeriods: 1,
  ComparisonOperator: 'GreaterThanOrEqualToThreshold',
  TreatMissingData: 'notBreaching',
};

/** The alarm on `metricName` of `namespace` with `dimensions`: it fires on the first occurrence and tells the operations topic. */
function expectFirstOccurrenceAlarm(namespace: string, metricName: string, dimensions: { Name: string; Value: unknown }[]) {
  const operations = refTo(template, 'AWS::SNS::Topic', OPERATIONS_TOPIC);
  template.hasResourceProperties('AWS::CloudWatch::Alarm', {
    ...firstOccurrence,
    Namespace: namespace,
    MetricName: metricName,
    Dimensions: dimensions,
    AlarmActions: [operations],
    OKActions: [operations],
  });
}

describe('alarms', () => {
  it('on the sweep throwing (its Lambda errors)', () => {
    expectFirstOccurrenceAlarm('AWS/Lambda', 'Errors', [{ Name: 'FunctionName', Value: refTo(template, 'AWS::Lambda::Function', SWEEP) }]);
  });

  it('on a due printer the sweep could not move (SweepFailures, EMF)', () => {
    expectFirstOccurrenceAlarm(METRICS_NAMESPACE, SWEEP_METRIC.failures, [{ Name: 'service', Value: SERVICE_NAME }]);
  });

  it("as soon as a failed sweep lands in the sweep's dead-letter queue", () => {
    expectFirstOccurrenceAlarm('AWS/SQS', 'ApproximateNumberOfMessagesVisible', [
      { Name: 'QueueName', Value: { 'Fn::GetAtt': [sweepQueueId(template), 'QueueName'] } },
    ]);
  });

  it('on notifications SNS could not deliver (NumberOfNotificationsFailed of the notifications topic)', () => {
    expectFirstOccurrenceAlarm('AWS/SNS', 'NumberOfNotificationsFailed', [
      { Name: 'TopicName', Value: getAttOf(template, 'AWS::SNS::Topic', 'TopicName', NOTIFICATIONS_TOPIC) },
    ]);
  });

  it('on server errors of the operator API (5xx)', () => {
    expectFirstOccurrenceAlarm('AWS/ApiGateway', '5xx', [{ Name: 'ApiId', Value: refTo(template, 'AWS::ApiGatewayV2::Api') }]);
  });
});

describe('dashboard', () => {
  const body = () => JSON.stringify(onlyResource(template, 'AWS::CloudWatch::Dashboard').resource.Properties!['DashboardBody']);
  const emf = (name: string) => `[\\"${METRICS_NAMESPACE}\\",\\"${name}\\",\\"service\\",\\"${SERVICE_NAME}\\"`;

  it('shows alarm transitions (by the detector and by the sweep) and notifications', () => {
    expect(body()).toContain(emf(METRIC.alarmTransitions));
    expect(body()).toContain(emf(SWEEP_METRIC.transitions));
    expect(body()).toContain('[\\"AWS/SNS\\",\\"NumberOfMessagesPublished\\"');
    expect(body()).toContain('[\\"AWS/SNS\\",\\"NumberOfNotificationsFailed\\"');
  });

  it("shows the sweep's due printers, failures and undelivered entries, and its dead letters", () => {
    for (const name of [SWEEP_METRIC.due, SWEEP_METRIC.failures, SWEEP_METRIC.undelivered]) expect(body()).toContain(emf(name));
    expect(body()).toContain('[\\"AWS/SQS\\",\\"ApproximateNumberOfMessagesVisible\\"');
  });

  it("shows the operator API's requests, errors and latency", () => {
    for (const metric of ['Count', '4xx', '5xx', 'Latency']) expect(body()).toContain(`[\\"AWS/ApiGateway\\",\\"${metric}\\",\\"ApiId\\"`);
  });

  it('lists every alarm in its status widget', () => {
    const alarms = Object.keys(template.findResources('AWS::CloudWatch::Alarm'));
    for (const id of alarms) expect(body()).toContain(id);
  });
});
