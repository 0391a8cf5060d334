// @modelcontextprotocol/conformance 0.1.16 targets Node 22: its bundle imports `globSync` from 'fs', which Node 20
// lacks, so on Node 20 the whole CLI fails to load ("does not provide an export named 'globSync'"). Only its
// `tier-check` command calls globSync; the `server` command these tests run never does. This module (node --import)
// registers a resolve hook that gives the conformance bundle — and nothing else — an 'fs' with a globSync that throws
// if it is ever called, so a check that needed it fails loudly instead of passing. On Node 22+ it does nothing.
import { register } from 'node:module';
import fs from 'node:fs';

if (typeof fs.globSync !== 'function') register('./node20-globsync-hooks.mjs', import.meta.url);
