/*
 * Topic name and filter rules of MQTT 3.1.1 section 4.7 and MQTT 5 section 4.7
 * (plus 4.8.2 shared subscriptions in version 5). Each check returns a reason
 * string when invalid and undefined when valid.
 */

const LEVEL_SEPARATOR = "/";
const MULTI_LEVEL = "#";
const SINGLE_LEVEL = "+";
const SHARE_PREFIX = "$share/";

/** A topic name (PUBLISH): at least one character and no wildcards [MQTT-3.3.2-2, MQTT-4.7.3-1]. */
export function checkTopicName(topic: string): string | undefined {
  if (topic.length === 0) return "empty topic name";
  if (topic.indexOf(MULTI_LEVEL) >= 0 || topic.indexOf(SINGLE_LEVEL) >= 0) return `wildcard in topic name "${topic}"`;
  return undefined;
}

function checkPlainFilter(filter: string, whole: string): string | undefined {
  if (filter.length === 0) return "empty topic filter";
  if (filter.indexOf(MULTI_LEVEL) < 0 && filter.indexOf(SINGLE_LEVEL) < 0) return undefined;
  const levels = filter.split(LEVEL_SEPARATOR);
  for (let i = 0; i < levels.length; i++) {
    const level = levels[i];
    if (level.indexOf(MULTI_LEVEL) >= 0 && (level !== MULTI_LEVEL || i !== levels.length - 1)) {
      return `misplaced '#' in topic filter "${whole}"`;
    }
    if (level.indexOf(SINGLE_LEVEL) >= 0 && level !== SINGLE_LEVEL) return `misplaced '+' in topic filter "${whole}"`;
  }
  return undefined;
}

/** True when `filter` is an MQTT 5 shared subscription ("$share/<name>/<filter>"). */
export function isSharedFilter(filter: string): boolean {
  return filter.startsWith(SHARE_PREFIX);
}

/**
 * A topic filter (SUBSCRIBE/UNSUBSCRIBE): '#' only as a whole last level, '+'
 * only as a whole level. With `protocolVersion` 5, "$share/<name>/<filter>"
 * needs a non-empty share name without '/', '+' or '#', and a valid filter.
 */
export function checkTopicFilter(filter: string, protocolVersion?: number): string | undefined {
  if (protocolVersion === 5 && isSharedFilter(filter)) {
    const rest = filter.slice(SHARE_PREFIX.length);
    const slash = rest.indexOf(LEVEL_SEPARATOR);
    if (slash <= 0) return `shared subscription "${filter}" needs a share name and a topic filter`;
    const name = rest.slice(0, slash);
    if (name.indexOf(MULTI_LEVEL) >= 0 || name.indexOf(SINGLE_LEVEL) >= 0) return `wildcard in share name of "${filter}"`;
    return checkPlainFilter(rest.slice(slash + 1), filter);
  }
  return checkPlainFilter(filter, filter);
}
