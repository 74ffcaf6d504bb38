/** MQTT topics and the topic rule, shared by the stack, the twin, the emitter and the CLIs. */

/** Topic printers publish readings to. */
export const DETECT_TOPIC = 'anom/detect';

/** Topic anomaly events are republished to (QoS 1). */
export const PREDICTION_TOPIC = 'anom/pred';

/** The topics alarm transitions are published to (QoS 1): one per printer. */
export const ALARM_TOPIC_PREFIX = 'anom/alarm/';

/** A printer's alarm topic. */
export function alarmTopic(printerId: string): string {
  return `${ALARM_TOPIC_PREFIX}${printerId}`;
}

/** The topic rule's SQL: the detector receives the reading payload itself. */
export const RULE_SQL = `SELECT * FROM '${DETECT_TOPIC}'`;

/** The IoT SQL version the rule is evaluated with. */
export const RULE_SQL_VERSION = '2016-03-23';

/**
 * The local twin's reading stream in stream ingest (`npm run local -- --ingest
 * stream`): the Kinesis stream the rule puts each message on, keyed by its
 * PrinterId. (The stack's stream is named by CloudFormation; its name is the
 * `ReadingStreamName` output.)
 */
export const LOCAL_STREAM_NAME = 'PrinterReadings';

/**
 * Who may report for a printer. `any` (the default): the reading's
 * `PrinterId` is taken as sent, so one client may replay a whole fleet.
 * `thing`: a reading counts only when its `PrinterId` is the sending
 * connection's thing name (its MQTT client id, which the device policy binds
 * to the thing), or is listed in that thing's `printers` attribute (a
 * gateway). `docs/deploy.md`, "Device identity", has the threat this answers.
 */
export type DeviceIdentityMode = 'any' | 'thing';

export const DEVICE_IDENTITY_MODES: readonly DeviceIdentityMode[] = ['any', 'thing'];

/** The field the rule adds in `thing` mode: the sending connection's client id. */
export const SENDER_FIELD = 'senderClientId';

/** The thing attribute that lists, comma-separated, the printers a gateway thing reports for. */
export const GATEWAY_PRINTERS_ATTRIBUTE = 'printers';

/**
 * The rule's SQL in a device identity mode. In `thing` mode the rule adds the
 * sender's client id to the payload, and refuses a payload that carries that
 * field itself, so a device cannot claim another's identity.
 */
export function ruleSql(mode: DeviceIdentityMode): string {
  return mode === 'thing' ? `SELECT *, clientid() AS ${SENDER_FIELD} FROM '${DETECT_TOPIC}' WHERE isUndefined(${SENDER_FIELD})` : RULE_SQL;
}
