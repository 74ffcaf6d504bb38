/** MQTT topics and the topic rule, shared by the stack, the twin, the emitter and the CLIs. */

/** Topic printers publish readings to. */
export const DETECT_TOPIC = 'anom/detect';

/** Topic anomaly events are republished to (QoS 1). */
export const PREDICTION_TOPIC = 'anom/pred';

/** The topic rule's SQL: the detector receives the reading payload itself. */
export const RULE_SQL = `SELECT * FROM '${DETECT_TOPIC}'`;

/** The IoT SQL version the rule is evaluated with. */
export const RULE_SQL_VERSION = '2016-03-23';
