/**
 * The two tables as the stack builds them from the contract's definitions:
 * the profiles table's secondary indexes and the history table, each the
 * same table the twin creates from `createProfilesTableRequest` and
 * `createEventsTableRequest`; the history's retention context (`historyDays`).
 */
import { Match, type Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import {
  createEventsTableRequest,
  createProfilesTableRequest,
  DEFAULT_EVENTS_TABLE_NAME,
  DEFAULT_HISTORY_DAYS,
  DEFAULT_TABLE_NAME,
  EVENTS_TABLE,
  PROFILES_INDEXES,
  PROFILES_TABLE,
} from '../../contract/index.ts';
import { onlyResource, sharedSynth, synthesizeStack, withSynthesizedStack } from '../support/cdk-app.ts';
import { FUNCTIONS, HISTORY, PROFILES } from './stack-parts.ts';

const { template } = await sharedSynth();

// biome-ignore lint/suspicious/noExplicitAny: CloudFormation properties are free-form JSON.
const tableProperties = (t: Template, props: unknown): Record<string, any> =>
  onlyResource(t, 'AWS::DynamoDB::Table', props).resource.Properties!;

type AttributeDefinition = { AttributeName: string; AttributeType: string };
const byName = (a: AttributeDefinition, b: AttributeDefinition) => a.AttributeName.localeCompare(b.AttributeName);

/** What the twin creates and the stack must build alike: keys, attribute types, indexes, billing. */
function expectSameTableAsTheTwin(
  properties: Record<string, unknown>,
  request: {
    KeySchema: unknown;
    AttributeDefinitions: readonly AttributeDefinition[];
    GlobalSecondaryIndexes: unknown;
    BillingMode: string;
  },
) {
  expect(properties['KeySchema']).toEqual(request.KeySchema);
  expect([...(properties['AttributeDefinitions'] as AttributeDefinition[])].sort(byName)).toEqual(
    [...request.AttributeDefinitions].sort(byName),
  );
  expect(properties['GlobalSecondaryIndexes']).toEqual(request.GlobalSecondaryIndexes);
  expect(properties['BillingMode']).toBe(request.BillingMode);
}

describe('profiles table indexes', () => {
  it('are exactly the indexes of PROFILES_INDEXES, in order, with their keys', () => {
    const indexes = tableProperties(template, PROFILES)['GlobalSecondaryIndexes'] as { IndexName: string; KeySchema: unknown }[];
    expect(indexes.map((i) => i.IndexName)).toEqual(PROFILES_INDEXES.map((i) => i.indexName));
    for (const [n, index] of PROFILES_INDEXES.entries()) {
      expect(indexes[n]!.KeySchema).toEqual([
        { AttributeName: index.partitionKey.name, KeyType: 'HASH' },
        { AttributeName: index.sortKey.name, KeyType: 'RANGE' },
      ]);
    }
  });

  it('project what each listing reads: the ranking includes its attributes; the alarms and the deadlines only keys', () => {
    const { rankIndex, alarmIndex, deadlineIndex } = PROFILES_TABLE;
    const projection = (name: string) =>
      (tableProperties(template, PROFILES)['GlobalSecondaryIndexes'] as { IndexName: string; Projection: unknown }[]).find(
        (i) => i.IndexName === name,
      )?.Projection;
    expect(projection(rankIndex.indexName)).toEqual({ ProjectionType: 'INCLUDE', NonKeyAttributes: [...rankIndex.projectedAttributes] });
    expect(projection(alarmIndex.indexName)).toEqual({ ProjectionType: 'KEYS_ONLY' });
    expect(projection(deadlineIndex.indexName)).toEqual({ ProjectionType: 'KEYS_ONLY' });
  });

  it('key the deadline index by time as a number, so the sweep can ask for everything due up to now', () => {
    template.hasResourceProperties('AWS::DynamoDB::Table', {
      ...PROFILES,
      AttributeDefinitions: Match.arrayWith([{ AttributeName: PROFILES_TABLE.deadlineIndex.sortKey.name, AttributeType: 'N' }]),
    });
  });

  it('make the very table the twin creates', () => {
    expectSameTableAsTheTwin(tableProperties(template, PROFILES), createProfilesTableRequest(DEFAULT_TABLE_NAME));
  });
});

describe('history table', () => {
  it('is PrinterEvents, keyed by PrinterId and Key, on demand, with point-in-time recovery, encrypted like the profiles', () => {
    const history = tableProperties(template, HISTORY);
    expect(history).toMatchObject({
      TableName: DEFAULT_EVENTS_TABLE_NAME,
      KeySchema: [
        { AttributeName: EVENTS_TABLE.partitionKey.name, KeyType: 'HASH' },
        { AttributeName: EVENTS_TABLE.sortKey.name, KeyType: 'RANGE' },
      ],
      BillingMode: 'PAY_PER_REQUEST',
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
    });
    expect(history['SSESpecification']).toEqual(tableProperties(template, PROFILES)['SSESpecification']);
    expect(history['SSESpecification']).toEqual({ SSEEnabled: true }); // the AWS-managed key
  });

  it('expires items by TTL on ExpiresAt', () => {
    expect(tableProperties(template, HISTORY)['TimeToLiveSpecification']).toEqual({
      AttributeName: EVENTS_TABLE.timeToLiveAttribute,
      Enabled: true,
    });
    expect(EVENTS_TABLE.timeToLiveAttribute).toBe('ExpiresAt');
  });

  it('has the fleet-wide ByTime index, projecting whole items', () => {
    const { feedIndex } = EVENTS_TABLE;
    expect(tableProperties(template, HISTORY)['GlobalSecondaryIndexes']).toEqual([
      {
        IndexName: feedIndex.indexName,
        KeySchema: [
          { AttributeName: feedIndex.partitionKey.name, KeyType: 'HASH' },
          { AttributeName: feedIndex.sortKey.name, KeyType: 'RANGE' },
        ],
        Projection: { ProjectionType: 'ALL' },
      },
    ]);
  });

  it('is the very table the twin creates', () => {
    expectSameTableAsTheTwin(tableProperties(template, HISTORY), createEventsTableRequest(DEFAULT_EVENTS_TABLE_NAME));
  });

  it('is retained with the stack by default, like the profiles table', () => {
    template.hasResource('AWS::DynamoDB::Table', {
      Properties: Match.objectLike(HISTORY),
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
    });
  });

  it('is deleted with the stack with -c destroyTable=true, and can be renamed with -c eventsTableName=...', () => {
    withSynthesizedStack({ context: { destroyTable: 'true', eventsTableName: 'OtherEvents' } }, (other) => {
      for (const name of [DEFAULT_TABLE_NAME, 'OtherEvents']) {
        other.template.hasResource('AWS::DynamoDB::Table', {
          Properties: Match.objectLike({ TableName: name }),
          DeletionPolicy: 'Delete',
          UpdateReplacePolicy: 'Delete',
        });
      }
      for (const fn of Object.values(FUNCTIONS)) {
        other.template.hasResourceProperties('AWS::Lambda::Function', {
          ...fn,
          Environment: {
            Variables: Match.objectLike({
              EVENTS_TABLE_NAME: { Ref: onlyResource(other.template, 'AWS::DynamoDB::Table', { TableName: 'OtherEvents' }).id },
            }),
          },
        });
      }
    });
  });
});

describe('history retention (context historyDays)', () => {
  const historyDaysOf = (t: Template) =>
    Object.values(FUNCTIONS).map(
      (fn) => onlyResource(t, 'AWS::Lambda::Function', fn).resource.Properties!['Environment']['Variables']['HISTORY_DAYS'],
    );

  it('tells every function the default, 90 days', () => {
    expect(historyDaysOf(template)).toEqual([String(DEFAULT_HISTORY_DAYS)].flatMap((d) => [d, d, d]));
  });

  it('takes -c historyDays=N, and the historyDays prop', () => {
    for (const [options, days] of [
      [{ context: { historyDays: '30' } }, '30'],
      [{ props: { historyDays: 7 } }, '7'],
    ] as const) {
      withSynthesizedStack(options, (synth) => {
        expect(historyDaysOf(synth.template)).toEqual([days, days, days]);
      });
    }
  });

  it('refuses anything but an integer >= 1, with a one-line reason', () => {
    for (const value of ['0', '-3', '1.5', 'ninety']) {
      expect(() => synthesizeStack({ context: { historyDays: value } })).toThrow(`historyDays must be an integer >= 1, got "${value}"`);
    }
  });
});
