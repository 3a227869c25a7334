/**
 * How EU packages enter the coordinator: manifest parsing and package checks
 * (the runtime owns the format), input-schema checks for submissions, and the
 * built-in EUs published at start.
 */
import { checkPackage, compileSchemas, loadEuFolder, parseManifest } from '../../runtime/index.js';
import { builtinEuDirs } from '../../eus/index.js';
import type { EuManifest, PublishEuRequest } from '../../protocol/index.js';

export function parsePackage(request: PublishEuRequest): { manifest: EuManifest; files: Record<string, string> } {
  const manifest = parseManifest(request.manifest);
  checkPackage({ manifest, files: request.files });
  return { manifest, files: request.files };
}

export function inputCheckFor(eu: { id: string; manifest: EuManifest }): (input: unknown) => string | null {
  const schemas = compileSchemas(eu.manifest, eu.id);
  return (input) => schemas.checkInput(input);
}

export async function loadBuiltinEus(): Promise<PublishEuRequest[]> {
  const packages: PublishEuRequest[] = [];
  for (const dir of builtinEuDirs()) {
    const { manifest, files } = await loadEuFolder(dir);
    packages.push({ manifest: manifest as unknown as Record<string, unknown>, files });
  }
  return packages;
}
