// node:fs plus a globSync that refuses to run (see node20-globsync.mjs).
import fs from 'node:fs';

export * from 'node:fs';
export default fs;
export function globSync() {
  throw new Error('fs.globSync needs Node 22 (only the conformance CLI\'s tier-check uses it)');
}
