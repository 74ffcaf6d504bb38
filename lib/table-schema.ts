/**
 * The contract's table definitions (`contract/tables.ts`) in CDK's terms, for
 * the table constructs: the twin creates its tables from the same
 * definitions (`createProfilesTableRequest`, `createEventsTableRequest`), so
 * the two cannot drift apart.
 */
import { type Attribute, AttributeType, type GlobalSecondaryIndexProps, ProjectionType } from 'aws-cdk-lib/aws-dynamodb';

/** A key attribute as the contract writes it: its name and DynamoDB type letter. */
export interface KeyDefinition {
  readonly name: string;
  readonly type: string;
}

/** A secondary index as the contract writes it: `projectedAttributes` empty is keys only, `['*']` is all. */
export interface IndexDefinition {
  readonly indexName: string;
  readonly partitionKey: KeyDefinition;
  readonly sortKey: KeyDefinition;
  readonly projectedAttributes: readonly string[];
}

const TYPES: Readonly<Record<string, AttributeType>> = { S: AttributeType.STRING, N: AttributeType.NUMBER, B: AttributeType.BINARY };

/** The CDK attribute of a contract key. */
export function keyAttribute(key: KeyDefinition): Attribute {
  const type = TYPES[key.type];
  if (!type) throw new Error(`unsupported key type ${key.type} for attribute ${key.name}`);
  return { name: key.name, type };
}

/** The CDK global secondary index of a contract index, with the projection the contract names. */
export function globalIndex(index: IndexDefinition): GlobalSecondaryIndexProps {
  const keys = { indexName: index.indexName, partitionKey: keyAttribute(index.partitionKey), sortKey: keyAttribute(index.sortKey) };
  const projected = index.projectedAttributes;
  if (projected.length === 0) return { ...keys, projectionType: ProjectionType.KEYS_ONLY };
  if (projected.length === 1 && projected[0] === '*') return { ...keys, projectionType: ProjectionType.ALL };
  return { ...keys, projectionType: ProjectionType.INCLUDE, nonKeyAttributes: [...projected] };
}
