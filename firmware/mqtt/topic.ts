/*
 * Topic name and filter rules of MQTT 3.1.1 section 4.7. Each check returns a
 * reason string when invalid and undefined when valid.
 */

const LEVEL_SEPARATOR = "/";
const MULTI_LEVEL = "#";
const SINGLE_LEVEL = "+";

/** A topic name (PUBLISH): at least one character and no wildcards [MQTT-3.3.2-2, MQTT-4.7.3-1]. */
export function checkTopicName(topic: string): string | undefined {
  if (topic.length === 0) return "empty topic name";
  if (topic.indexOf(MULTI_LEVEL) >= 0 || topic.indexOf(SINGLE_LEVEL) >= 0) return `wildcard in topic name "${topic}"`;
  return undefined;
}

/** A topic filter (SUBSCRIBE/UNSUBSCRIBE): '#' only as a whole last level, '+' only as a whole level. */
export function checkTopicFilter(filter: string): string | undefined {
  if (filter.length === 0) return "empty topic filter";
  const levels = filter.split(LEVEL_SEPARATOR);
  for (let i = 0; i < levels.length; i++) {
    const level = levels[i];
    if (level.indexOf(MULTI_LEVEL) >= 0 && (level !== MULTI_LEVEL || i !== levels.length - 1)) {
      return `misplaced '#' in topic filter "${filter}"`;
    }
    if (level.indexOf(SINGLE_LEVEL) >= 0 && level !== SINGLE_LEVEL) return `misplaced '+' in topic filter "${filter}"`;
  }
  return undefined;
}
