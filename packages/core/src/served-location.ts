/**
 * Whether a node's own agent may run a job signed for `signedLocation`: only
 * when it is the very entry the agent serves (`--serve`, as the deploy plan
 * named it), compared as written. `deploy@web2` and `root@web2` log in as
 * different users, and `web2` and `web2:2222` may be different machines, so
 * no two spellings count as one; the dispatcher routes on the same exact
 * entry, so an honest job never meets this refusal. A `start` job is signed
 * for `localhost`, which no node agent serves. Returns the refusal `get`
 * shows for the child, or null.
 */
export function servedLocationRefusal(signedLocation: string, serves: string): string | null {
  return signedLocation === serves ? null : `refused: signed for ${signedLocation}, this agent serves ${serves}`;
}
