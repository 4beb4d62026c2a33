// A space's fingerprint: sha256 of its module's source. A study stores it, so that every
// process that joins the study (a resumed search, `gradtune worker` on another machine)
// is known to draw and build configurations from the same space. Only the module file
// itself is hashed, not what it imports. A built-in space is named, not hashed: it runs
// as TypeScript in a checkout and as JavaScript when installed, and is gradtune's own.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { spaceModuleFile } from './load.js';

export function spaceFingerprint(ref: { builtin?: string; path?: string }): string {
  if (ref.path === undefined) return `builtin:${ref.builtin ?? 'mlp'}`;
  return createHash('sha256').update(readFileSync(spaceModuleFile(ref))).digest('hex');
}
