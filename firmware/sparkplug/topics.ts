/*
 * Sparkplug B topic names of one edge node and its device (Sparkplug 3.0,
 * section 4.1): spBv1.0/<group>/<type>/<edge node>[/<device>], and the
 * primary host's spBv1.0/STATE/<host id>. The ids are topic levels, so they
 * must not hold '/' or MQTT wildcards.
 */

export const NAMESPACE = "spBv1.0";

export interface EdgeNodeTopics {
  nbirth: string;
  ndeath: string;
  ndata: string;
  ncmd: string;
  dbirth: string;
  ddata: string;
  ddeath: string;
  dcmd: string;
  /** Undefined when no primary host is configured. */
  state: string | undefined;
}

export function edgeNodeTopics(groupId: string, edgeNodeId: string, deviceId: string, primaryHostId: string | undefined): EdgeNodeTopics {
  const g = groupId;
  const e = edgeNodeId;
  const d = deviceId;
  return {
    nbirth: `${NAMESPACE}/${g}/NBIRTH/${e}`,
    ndeath: `${NAMESPACE}/${g}/NDEATH/${e}`,
    ndata: `${NAMESPACE}/${g}/NDATA/${e}`,
    ncmd: `${NAMESPACE}/${g}/NCMD/${e}`,
    dbirth: `${NAMESPACE}/${g}/DBIRTH/${e}/${d}`,
    ddata: `${NAMESPACE}/${g}/DDATA/${e}/${d}`,
    ddeath: `${NAMESPACE}/${g}/DDEATH/${e}/${d}`,
    dcmd: `${NAMESPACE}/${g}/DCMD/${e}/${d}`,
    state: primaryHostId !== undefined ? `${NAMESPACE}/STATE/${primaryHostId}` : undefined,
  };
}

/** An id used as a topic level; returns the problem or undefined. */
export function checkId(id: unknown, what: string): string | undefined {
  if (typeof id !== "string" || id.length === 0) return `${what} must be a non-empty string`;
  if (id.includes("/") || id.includes("+") || id.includes("#")) return `${what} "${id}" must not contain '/', '+' or '#'`;
  return undefined;
}
