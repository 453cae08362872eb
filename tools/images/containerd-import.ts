// Imports images into a containerd's Kubernetes namespace, building each archive once (cached by content).
import { execFile, execFileSync } from "node:child_process";
import { promisify } from "node:util";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { cacheDir } from "../upstream.js";
import { buildImageArchive, imageCacheKey, type ImageSpec } from "./oci-image.js";

/** The manifest digest an image is imported with (building its archive if needed). */
export async function imageDigest(spec: ImageSpec): Promise<string> {
  return (await archiveFor(spec)).digest;
}

async function archiveFor(spec: ImageSpec): Promise<{ archive: string; digest: string }> {
  const safeName = spec.name.replaceAll(/[^a-zA-Z0-9.-]+/g, "_");
  const archive = join(cacheDir, "images", `${safeName}-${imageCacheKey(spec)}.tar`);
  if (!existsSync(archive) || !existsSync(`${archive}.digest`)) {
    const digest = await buildImageArchive(spec, archive);
    writeFileSync(`${archive}.digest`, digest);
  }
  return { archive, digest: readFileSync(`${archive}.digest`, "utf8") };
}

function importedDigests(address: string): Map<string, string> {
  const listing = execFileSync("ctr", ["--address", address, "-n", "k8s.io", "images", "ls"], { encoding: "utf8" });
  const digests = new Map<string, string>();
  for (const line of listing.split("\n").slice(1)) {
    const [name, , digest] = line.split(/\s+/); // REF TYPE DIGEST SIZE PLATFORMS LABELS
    if (name && digest) digests.set(name, digest);
  }
  return digests;
}

/**
 * Imports each image unless containerd already has it with the same manifest. Returns the names imported. A name
 * listed twice is imported once (two concurrent imports of one image make the second fail with "already exists");
 * the same name with different content is an error.
 */
export async function importImages(address: string, specs: ImageSpec[]): Promise<string[]> {
  const present = importedDigests(address);
  const imports: Promise<string>[] = [];
  const planned = new Map<string, string>();
  for (const spec of specs) {
    const { archive, digest } = await archiveFor(spec);
    const twin = planned.get(spec.name);
    if (twin !== undefined && twin !== digest) {
      throw new Error(`image ${spec.name} is listed twice with different content (${twin}, ${digest})`);
    }
    if (twin !== undefined || present.get(spec.name) === digest) continue;
    planned.set(spec.name, digest);
    // Concurrently and without blocking the event loop, so callers can start other things meanwhile.
    imports.push(
      promisify(execFile)("ctr", ["--address", address, "-n", "k8s.io", "images", "import", archive]).then(
        () => spec.name,
      ),
    );
  }
  return Promise.all(imports);
}
