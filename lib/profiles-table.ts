/**
 * The printer profiles table, built from the shared schema in `contract.ts`
 * (the local twin creates the very same table from it).
 */
import { RemovalPolicy } from 'aws-cdk-lib';
import { type Attribute, AttributeType, BillingMode, ProjectionType, Table, TableEncryption } from 'aws-cdk-lib/aws-dynamodb';
import { Construct } from 'constructs';
import { DEFAULT_TABLE_NAME, PROFILES_TABLE } from '../contract/index.ts';

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

const attribute = (key: { readonly name: string; readonly type: string }): Attribute => {
  const types: Record<string, AttributeType> = { S: AttributeType.STRING, N: AttributeType.NUMBER, B: AttributeType.BINARY };
  const type = types[key.type];
  if (!type) throw new Error(`unsupported key type ${key.type} for attribute ${key.name}`);
  return { name: key.name, type };
};

/**
 * On-demand table with point-in-time recovery, encrypted under KMS, keyed by `PrinterId`, plus the
 * sparse `ByEventCount` index the ranking queries (top-N without a Scan).
 */
export class ProfilesTable extends Construct {
  /** The table. */
  public readonly table: Table;

  constructor(scope: Construct, id: string, props: ProfilesTableProps = {}) {
    super(scope, id);
    const { partitionKey, rankIndex } = PROFILES_TABLE;

    this.table = new Table(this, 'Table', {
      tableName: props.tableName ?? DEFAULT_TABLE_NAME,
      partitionKey: attribute(partitionKey),
      billingMode: BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      // The AWS-managed key (aws/dynamodb): encryption at rest under KMS, auditable in CloudTrail,
      // with no key to manage; DynamoDB caches its data key, so readings add no KMS requests.
      encryption: TableEncryption.AWS_MANAGED,
      removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN,
    });

    this.table.addGlobalSecondaryIndex({
      indexName: rankIndex.indexName,
      partitionKey: attribute(rankIndex.partitionKey),
      sortKey: attribute(rankIndex.sortKey),
      projectionType: ProjectionType.INCLUDE,
      nonKeyAttributes: [...rankIndex.projectedAttributes],
    });
  }
}
