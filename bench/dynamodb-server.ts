/**
 * Runs the embedded DynamoDB (dynalite, in memory) in its own process and
 * prints `{"endpoint": ...}` on one line: the bench talks to it over HTTP
 * like a remote DynamoDB, and its CPU does not compete with the code measured.
 */
import { startDynamoDb } from '../twin/dynamodb.ts';

const db = await startDynamoDb();
process.stdout.write(`${JSON.stringify({ endpoint: db.endpoint })}\n`);
const stop = () => {
  void db.close().finally(() => process.exit(0));
};
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
