/**
 * The printer profiles table, built from the shared schema in
 * `contract/tables.ts` (the local twin creates the very same table from it).
 */
import { RemovalPolicy } from 'aws-cdk-lib';
import { BillingMode, Table, TableEncryption } from 'aws-cdk-lib/aws-dynamodb';
import { Construct } from 'constructs';
import { DEFAULT_TABLE_NAME, PROFILES_INDEXES, PROFILES_TABLE } from '../contract/index.ts';
import { globalIndex, keyAttribute } from './table-schema.ts';

export interface ProfilesTableProps {
  /**
   * Physical table name. A fixed name keeps the original `aws dynamodb`
   * commands working, but allows only one stack per account and region.
   * @default DEFAULT_TABLE_NAME (`PrinterProfiles`)
   */
  readonly tableName?: string;
  /**
   * What happens to the table (and the profiles and counters in it) when the
   * stack is deleted or the table replaced.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * On-demand table with point-in-time recovery, encrypted under KMS, keyed by
 * `PrinterId`, plus the contract's sparse indexes: the ranking (top-N without
 * a Scan), the alarms that are not NORMAL, and the clock's deadlines (the
 * sweep reads only the printers that are due).
 */
export class ProfilesTable extends Construct {
  /** The table. */
  public readonly table: Table;

  constructor(scope: Construct, id: string, props: ProfilesTableProps = {}) {
    super(scope, id);
    this.table = new Table(this, 'Table', {
      tableName: props.tableName ?? DEFAULT_TABLE_NAME,
      partitionKey: keyAttribute(PROFILES_TABLE.partitionKey),
      billingMode: BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      // The AWS-managed key (aws/dynamodb): encryption at rest under KMS, auditable in CloudTrail,
      // with no key to manage; DynamoDB caches its data key, so readings add no KMS requests.
      encryption: TableEncryption.AWS_MANAGED,
      removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN,
    });
    for (const index of PROFILES_INDEXES) this.table.addGlobalSecondaryIndex(globalIndex(index));
  }
}
