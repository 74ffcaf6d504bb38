/**
 * The history table (`PrinterEvents`): every anomaly event and every alarm
 * transition, per printer by time and fleet-wide newest first (the `ByTime` index),
 * each item expiring by TTL `historyDays` after it happened. Built from the
 * shared schema in `contract/tables.ts`, as the twin builds its own.
 */
import { RemovalPolicy } from 'aws-cdk-lib';
import { BillingMode, Table, TableEncryption } from 'aws-cdk-lib/aws-dynamodb';
import { Construct } from 'constructs';
import { DEFAULT_EVENTS_TABLE_NAME, EVENTS_TABLE } from '../contract/index.ts';
import { globalIndex, keyAttribute } from './table-schema.ts';

export interface HistoryTableProps {
  /**
   * Physical table name (like the profiles table's, a fixed name the
   * `aws dynamodb` commands can use; one stack per account and region).
   * @default DEFAULT_EVENTS_TABLE_NAME (`PrinterEvents`)
   */
  readonly tableName?: string;
  /**
   * What happens to the table (and the history in it) when the stack is
   * deleted or the table replaced.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
}

/** On-demand, point-in-time recovery, encrypted under KMS, TTL on `ExpiresAt`, the fleet-wide `ByTime` index. */
export class HistoryTable extends Construct {
  /** The table. */
  public readonly table: Table;

  constructor(scope: Construct, id: string, props: HistoryTableProps = {}) {
    super(scope, id);
    const { partitionKey, sortKey, timeToLiveAttribute, feedIndex } = EVENTS_TABLE;
    this.table = new Table(this, 'Table', {
      tableName: props.tableName ?? DEFAULT_EVENTS_TABLE_NAME,
      partitionKey: keyAttribute(partitionKey),
      sortKey: keyAttribute(sortKey),
      billingMode: BillingMode.PAY_PER_REQUEST,
      // TTL deletes are free and need no job of ours (DynamoDB deletes in the
      // background, so an item may outlive its expiry by a day or two).
      timeToLiveAttribute,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      // As the profiles table: the AWS-managed key, nothing to manage, no KMS request per write.
      encryption: TableEncryption.AWS_MANAGED,
      removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN,
    });
    this.table.addGlobalSecondaryIndex(globalIndex(feedIndex));
  }
}
