// Optuna's group decomposition of a define-by-run space (optuna/search_space/
// group_decomposed.py): the parameters are split into groups such that each trial holds
// every parameter of a group or none of it. Multivariate TPE models each group jointly
// from the trials that hold it, so a conditional parameter is never modelled from a
// trial where it was inactive.

/**
 * The groups, each sorted by name, from the parameter names of each trial in turn.
 * Each trial splits every group into the part it holds and the part it does not; the
 * names no group had yet form a new group.
 */
export function decomposeGroups(paramSets: Iterable<readonly string[]>): string[][] {
  let groups: string[][] = [];
  // Splitting by a set already applied changes nothing (every group already lies inside
  // it or outside it), so each distinct set is applied once: a few, even for 10,000 trials.
  const applied = new Set<string>();
  for (const names of paramSets) {
    const key = names.join('\0');
    if (applied.has(key)) continue;
    applied.add(key);
    const rest = new Set(names);
    const next: string[][] = [];
    for (const group of groups) {
      const held: string[] = [];
      const notHeld: string[] = [];
      for (const name of group) (rest.has(name) ? held : notHeld).push(name);
      if (held.length > 0) next.push(held);
      if (notHeld.length > 0) next.push(notHeld);
      for (const name of group) rest.delete(name);
    }
    if (rest.size > 0) next.push([...rest]);
    groups = next;
  }
  return groups.map((g) => [...g].sort());
}

/**
 * The distinct sets of parameter names among `paramsList`, in order of first appearance.
 * Most trials share the previous one's names (in the same declaration order), which is
 * checked without allocating; only a new sequence of names costs a key.
 */
export function distinctNameSets(paramsList: Iterable<Readonly<Record<string, unknown>>>): string[][] {
  const sets: string[][] = [];
  const seen = new Set<string>();
  let last: string[] = [];
  for (const params of paramsList) {
    let i = 0;
    let same = true;
    for (const name in params) {
      if (i >= last.length || last[i] !== name) {
        same = false;
        break;
      }
      i++;
    }
    if (same && i === last.length) continue;
    last = Object.keys(params);
    const key = last.join('\0');
    if (!seen.has(key)) {
      seen.add(key);
      sets.push(last);
    }
  }
  return sets;
}
