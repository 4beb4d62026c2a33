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
