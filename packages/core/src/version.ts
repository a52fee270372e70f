/** The version of fleet's CLI and agent; deploy compares it to upgrade agents in place. */
export const FLEET_VERSION = '0.4.0';
