/**
 * What the twin writes and sends in AWS's place has AWS's shape, held to
 * AWS's published examples (`test/fixtures/aws-events/README.md`): Lambda's
 * on-failure records (asynchronous invocation and Kinesis batch), the topic
 * rule's error action message, the Kinesis event the twin's event source
 * mapping invokes the function with, and the Scheduler's input.
 */
import type { Aedes, AedesPublishPacket } from 'aedes';
import type { KinesisStreamEvent } from 'aws-lambda';
import fc from 'fast-check';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ScheduleInputError, scheduledEvent } from '../../twin/clock.ts';
import { DETECT_TOPIC, ruleSql } from '../../contract/index.ts';
import { type DeadLetterCondition, DeadLetters, type KinesisBatchInfo, type RuleErrorMessage } from '../../twin/dead-letters.ts';
import { enableRuleAction, type RuleTarget } from '../../twin/rule-action.ts';
import { parseRuleSql } from '../../twin/rule.ts';
import type { KinesisRecord } from '../../twin/kinesis-client.ts';
import { StreamCheckpoints } from '../../twin/stream-checkpoints.ts';
import { ShardPoller } from '../../twin/stream-poller.ts';
import { TWIN_ACCOUNT } from '../../twin/template-resolver.ts';
import { awsEvent, shapeOf } from '../support/aws-events.ts';

const dir = mkdtempSync(join(tmpdir(), 'aws-record-shapes-'));
let files = 0;
/** A file of its own for each run of a property. */
const freshFile = () => join(dir, `dead-letters-${++files}.jsonl`);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const FUNCTION_ARN = `arn:aws:lambda:us-east-1:${TWIN_ACCOUNT}:function:printer-anomaly-detector`;
/** An unqualified function ARN, and one qualified with a version. */
const UNQUALIFIED = /^arn:aws:lambda:[a-z0-9-]+:\d{12}:function:[A-Za-z0-9_-]+$/;
const LATEST = /^arn:aws:lambda:[a-z0-9-]+:\d{12}:function:[A-Za-z0-9_-]+:\$LATEST$/;

/** A record's shape, leaving out what is the event's or the function's own (below `requestPayload` and `responsePayload`). */
const envelope = (record: unknown) => shapeOf(record).filter((path) => !/^(requestPayload|responsePayload)[.[]/.test(path));

const errors = fc.record({
  errorType: fc.string({ minLength: 1 }),
  errorMessage: fc.string(),
  trace: fc.array(fc.string(), { maxLength: 3 }),
});
const sequenceNumbers = fc.bigInt({ min: 10n ** 55n, max: 10n ** 56n - 1n }).map(String);
const batchInfos: fc.Arbitrary<KinesisBatchInfo> = fc.record({
  shardId: fc.integer({ min: 0, max: 99 }).map((n) => `shardId-${String(n).padStart(12, '0')}`),
  startSequenceNumber: sequenceNumbers,
  endSequenceNumber: sequenceNumbers,
  approximateArrivalOfFirstRecord: fc.date({ noInvalidDate: true }).map((d) => d.toISOString()),
  approximateArrivalOfLastRecord: fc.date({ noInvalidDate: true }).map((d) => d.toISOString()),
  batchSize: fc.integer({ min: 1, max: 500 }),
  streamArn: fc.constant(`arn:aws:kinesis:us-east-1:${TWIN_ACCOUNT}:stream/PrinterReadings`),
});

describe("Lambda's on-failure record of an asynchronous invocation", () => {
  const example = awsEvent('lambda-async-on-failure.json');

  it('has the fields of the published example, with the event and the error', () => {
    fc.assert(
      fc.property(fc.jsonValue(), errors, fc.integer({ min: 1, max: 3 }), fc.uuid(), (event, error, attempts, requestId) => {
        const file = freshFile();
        const record = new DeadLetters({ functionArn: FUNCTION_ARN, file }).send(
          { requestId, printerId: undefined, event, attempts },
          error,
          'RetriesExhausted',
        );
        expect(envelope(record)).toEqual(envelope(example));
        expect(record.requestContext).toEqual({
          requestId,
          functionArn: `${FUNCTION_ARN}:$LATEST`,
          condition: 'RetriesExhausted',
          approximateInvokeCount: attempts,
        });
        expect(record.requestContext.functionArn).toMatch(LATEST);
        expect(example['requestContext']).toMatchObject({ functionArn: expect.stringMatching(LATEST) });
        expect(record.responseContext).toEqual(example['responseContext']);
        expect(record.requestPayload).toEqual(event);
        expect(record.responsePayload).toEqual({ errorType: error.errorType, errorMessage: error.errorMessage, trace: error.trace });
        expect(
          readFileSync(file, 'utf8')
            .trim()
            .split('\n')
            .map((line) => JSON.parse(line)),
        ).toEqual([JSON.parse(JSON.stringify(record))]);
      }),
      { numRuns: 50 },
    );
  });
});

describe("Lambda's on-failure record of a Kinesis batch", () => {
  const example = awsEvent('lambda-kinesis-on-failure.json');
  const send = (info: KinesisBatchInfo, condition: DeadLetterCondition, file?: string) =>
    new DeadLetters({ functionArn: FUNCTION_ARN, ...(file ? { file } : {}) }).sendStreamBatch(
      { requestId: 'c9b8fa9f-5a7f-4d2e-af9c-0c604cde93a5', event: { Records: [] }, attempts: 3, batchInfo: info },
      { errorType: 'BatchItemFailures', errorMessage: 'the function reported a record failed', trace: [] },
      condition,
    );

  it('has exactly the fields of the published example: the batch info, neither the records nor the error', () => {
    fc.assert(
      fc.property(batchInfos, (info) => {
        const file = freshFile();
        const record = send(info, 'RetryAttemptsExhausted', file);
        expect(shapeOf(record)).toEqual(shapeOf(example));
        expect(record.KinesisBatchInfo).toEqual(info);
        expect(record.requestContext.functionArn).toMatch(UNQUALIFIED);
        expect(example['requestContext']).toMatchObject({ functionArn: expect.stringMatching(UNQUALIFIED) });
        expect(record.responseContext).toEqual(example['responseContext']);
        expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual(JSON.parse(JSON.stringify(record)));
      }),
      { numRuns: 50 },
    );
  });

  it('carries the batch itself only when the twin closed with it undone (its stream may go with the twin)', () => {
    fc.assert(
      fc.property(batchInfos, (info) => {
        const record = send(info, 'TwinClosed');
        expect(shapeOf(record)).toEqual([...shapeOf(example), 'requestPayload', 'requestPayload.Records'].sort());
      }),
      { numRuns: 10 },
    );
  });
});

describe("the twin's Kinesis event source mapping", () => {
  it("invokes the function with records of the shape of the SAM CLI's Kinesis sample event, naming the function's role", async () => {
    const ROLE_ARN = `arn:aws:iam::${TWIN_ACCOUNT}:role/PrinterAnomaly-DetectorServiceRole`;
    const example = awsEvent<KinesisStreamEvent>('kinesis-record.json', {
      partition_key: 'P1',
      data: 'e30=',
      sequence: '1',
      partition: 'aws',
      region: 'us-east-1',
    });
    const records: KinesisRecord[] = [
      {
        SequenceNumber: '49601189658422359378836298521827638475320189012309704722',
        PartitionKey: 'P1',
        Data: 'e30=',
        ApproximateArrivalTimestamp: 1_763_700_000.5,
      },
    ];
    let resolve: (event: KinesisStreamEvent) => void = () => {};
    const invoked = new Promise<KinesisStreamEvent>((done) => {
      resolve = done;
    });
    const poller = new ShardPoller({
      reader: {
        getShardIterator: async () => '0',
        getRecords: async (iterator) => ({ Records: iterator === '0' ? records : [], NextShardIterator: '1' }),
      },
      streamName: 'PrinterReadings',
      streamArn: `arn:aws:kinesis:us-east-1:${TWIN_ACCOUNT}:stream/PrinterReadings`,
      shardId: 'shardId-000000000000',
      region: 'us-east-1',
      invokeIdentityArn: ROLE_ARN,
      invoke: async (_requestId, event) => {
        resolve(event);
        return { ok: true, value: { batchItemFailures: [] } };
      },
      batchSize: 500,
      retryAttempts: 0,
      retryDelaysMs: [0],
      checkpoints: new StreamCheckpoints(),
      idlePollMs: 60_000,
      sink: { invoking: () => {}, invoked: () => {}, done: () => {}, deadLetter: () => {}, readFailed: () => {} },
    });
    poller.start();
    const event = await invoked;
    await poller.close('stop');
    expect(shapeOf(event)).toEqual(shapeOf(example));
    const [record] = event.Records;
    const [sample] = example.Records;
    expect(record).toMatchObject({
      eventSource: sample!.eventSource,
      eventVersion: sample!.eventVersion,
      eventName: sample!.eventName,
      eventID: `shardId-000000000000:${records[0]!.SequenceNumber}`,
      invokeIdentityArn: ROLE_ARN,
      kinesis: { kinesisSchemaVersion: sample!.kinesis.kinesisSchemaVersion, approximateArrivalTimestamp: 1_763_700_000.5 },
    });
  });
});

describe("the twin's stand-in for EventBridge Scheduler", () => {
  it('fills the scheduled time to the second as Scheduler writes it, and keeps the milliseconds of a time between seconds', () => {
    const input = '{"time":"<aws.scheduler.scheduled-time>","again":"<aws.scheduler.scheduled-time>"}';
    expect(scheduledEvent(input, new Date('2022-03-22T18:59:43.000Z'))).toEqual({
      time: '2022-03-22T18:59:43Z',
      again: '2022-03-22T18:59:43Z',
    });
    expect(scheduledEvent(input, new Date('2022-03-22T18:59:43.250Z'))).toMatchObject({ time: '2022-03-22T18:59:43.250Z' });
  });

  it('refuses an input asking for an attribute it does not fill, naming it', () => {
    for (const attribute of ['schedule-arn', 'execution-id', 'attempt-number']) {
      expect(() => scheduledEvent(`{"x":"<aws.scheduler.${attribute}>"}`, new Date(0))).toThrow(ScheduleInputError);
      expect(() => scheduledEvent(`{"x":"<aws.scheduler.${attribute}>"}`, new Date(0))).toThrow(`<aws.scheduler.${attribute}>`);
    }
  });
});

describe("the topic rule's error action", () => {
  const example = awsEvent('iot-rule-error-action.json');
  const action = { ruleName: 'PrinterAnomalyRule', failedAction: 'LambdaAction', failedResource: FUNCTION_ARN };
  /** The rule enabled on a stand-in broker that hands each published packet to the rule's subscription. */
  async function ruleOn(target: RuleTarget) {
    const sent: RuleErrorMessage[] = [];
    let deliver: ((packet: AedesPublishPacket, callback: () => void) => void) | undefined;
    const aedes = {
      subscribe: (_filter: string, handler: typeof deliver, done: () => void) => {
        deliver = handler;
        done();
      },
    } as unknown as Aedes;
    await enableRuleAction(aedes, parseRuleSql(ruleSql('thing')), target, () => {}, { ...action, send: (m) => sent.push(m) });
    const publish = (payload: Uint8Array, clientId: string | undefined) =>
      new Promise<void>((resolve) =>
        deliver!(
          {
            cmd: 'publish',
            topic: DETECT_TOPIC,
            payload: Buffer.from(payload),
            qos: 1,
            dup: false,
            retain: false,
            ...(clientId === undefined ? {} : { clientId }),
          } as AedesPublishPacket,
          resolve,
        ),
      );
    return { sent, publish };
  }
  const clientIds = fc.option(fc.stringMatching(/^[A-Za-z0-9_-]{1,32}$/), { nil: undefined });
  const notJson = fc.uint8Array({ minLength: 1, maxLength: 64 }).filter((bytes) => {
    try {
      JSON.parse(Buffer.from(bytes).toString('utf8'));
      return false;
    } catch {
      return true;
    }
  });

  it('sends a payload the Lambda action cannot take (not JSON) in the shape of the published message, with its bytes', async () => {
    await fc.assert(
      fc.asyncProperty(notJson, clientIds, async (payload, clientId) => {
        const refused: string[] = [];
        const { sent, publish } = await ruleOn({ submit: () => undefined, refuse: (topic) => refused.push(topic) });
        await publish(payload, clientId);
        expect(refused).toEqual([DETECT_TOPIC]);
        expect(sent).toHaveLength(1);
        const [message] = sent;
        expect(shapeOf(message)).toEqual(shapeOf(example));
        expect(message).toMatchObject({ ruleName: action.ruleName, topic: DETECT_TOPIC, clientId: clientId ?? 'N/A' });
        expect(Buffer.from(message!.base64OriginalPayload, 'base64')).toEqual(Buffer.from(payload));
        expect(message!.failures).toEqual([
          { failedAction: 'LambdaAction', failedResource: FUNCTION_ARN, errorMessage: expect.stringMatching(/not JSON/) },
        ]);
      }),
      { numRuns: 30 },
    );
  });

  it("sends a message whose action failed (the target says so, at once or once its put settles) with the original payload, not the rule's output", async () => {
    await fc.assert(
      fc.asyncProperty(fc.boolean(), fc.stringMatching(/^[A-Za-z0-9]{1,16}$/), async (later, sender) => {
        const failure = { actionFailed: 'AccessDeniedException: the rule may not invoke the function' };
        const { sent, publish } = await ruleOn({ submit: () => (later ? Promise.resolve(failure) : failure), refuse: () => {} });
        const reading = JSON.stringify({ PrinterId: 'P1', data: { value: 1 } });
        await publish(Buffer.from(reading), sender);
        expect(sent).toHaveLength(1);
        expect(shapeOf(sent[0])).toEqual(shapeOf(example));
        expect(Buffer.from(sent[0]!.base64OriginalPayload, 'base64').toString()).toBe(reading);
        expect(sent[0]!.failures[0]!.errorMessage).toBe(failure.actionFailed);
      }),
      { numRuns: 20 },
    );
    const { sent, publish } = await ruleOn({ submit: () => Promise.resolve(undefined), refuse: () => {} });
    await publish(Buffer.from('{"PrinterId":"P1"}'), 'P1');
    expect(sent).toEqual([]);
  });

  it('is kept in the dead-letter file beside the on-failure records, as in the one queue; lost (logged) when IAM refuses the send', () => {
    const file = freshFile();
    const message: RuleErrorMessage = { ...(example as unknown as RuleErrorMessage) };
    const lines: string[] = [];
    expect(new DeadLetters({ functionArn: FUNCTION_ARN, file, log: (l) => lines.push(l) }).sendRuleError(message)).toEqual(message);
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual(example);
    const refused = new DeadLetters({ functionArn: FUNCTION_ARN, log: (l) => lines.push(l), ruleErrorRefused: 'no sqs:SendMessage' });
    expect(refused.sendRuleError(message)).toBeUndefined();
    expect(refused.ruleErrors()).toEqual([]);
    expect(JSON.parse(lines.at(-1)!)).toMatchObject({
      level: 'ERROR',
      message: expect.stringMatching(/refused by IAM, the message is lost/),
    });
  });
});
