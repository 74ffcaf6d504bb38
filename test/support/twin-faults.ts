/**
 * DynamoDB going away under the twin's functions, as the fault suites
 * (`test/twin/faults.test.ts`, `test/twin/modes.test.ts`) stage it: the
 * functions reach the embedded DynamoDB through an outage proxy and retry
 * enough to ride an outage out; the outage starts once a given number of
 * messages is handled and lasts until an invocation it failed is retried, so it
 * lands mid-replay and bites whatever the machine's speed.
 */
import { ENV } from '../../contract/index.ts';
import { startTwin, type Twin, type TwinOptions } from '../../twin/twin.ts';
import { startOutageProxy, type OutageProxy } from './outage-proxy.ts';

/** Starts a twin whose functions reach its DynamoDB through a proxy that can fail (see `dynamoDbOutage`). */
export async function startTwinBehindProxy(options: TwinOptions): Promise<{ twin: Twin; proxy: OutageProxy }> {
  const proxy = await startOutageProxy();
  try {
    const twin = await startTwin({
      logFile: false,
      // The function reaches DynamoDB through the proxy, as over a network that can fail.
      environment: { [ENV.dynamoDbEndpoint]: `http://127.0.0.1:${proxy.port}` },
      // Lambda retries twice, minutes apart (a stream batch, 10 times); the twin retries more, sooner, to ride out the outage.
      retryAttempts: 40,
      streamRetryAttempts: 40,
      retryDelaysMs: [50, 100, 200, 400, 400],
      ...options,
    });
    proxy.target = twin.dynamoDbPort;
    return { twin, proxy };
  } catch (error) {
    await proxy.close();
    throw error;
  }
}

/** Resolves once the twin has handled `count` messages (event-driven). */
export function whenHandled(twin: Twin, count: number): Promise<void> {
  return new Promise((resolve) => {
    const check = () => {
      if (twin.stats().done >= count) {
        twin.events.off('handled', check);
        resolve();
      }
    };
    twin.events.on('handled', check);
    check();
  });
}

/** Resolves when the twin starts retrying an invocation (one the outage failed, wholly or in part). */
function firstRetry(twin: Twin): Promise<void> {
  return new Promise((resolve) => {
    const check = (attempt: { attempt: number }) => {
      if (attempt.attempt < 2) return;
      twin.events.off('invoking', check);
      resolve();
    };
    twin.events.on('invoking', check);
  });
}

/**
 * DynamoDB goes down once the twin has handled `afterHandled` messages (fewer
 * than it will receive) and comes back when the twin retries an invocation
 * the outage failed; resolves when it is back.
 */
export async function dynamoDbOutage(twin: Twin, proxy: OutageProxy, afterHandled: number): Promise<void> {
  await whenHandled(twin, afterHandled);
  const retrying = firstRetry(twin);
  proxy.down();
  await retrying;
  proxy.up();
}
