// Builds OCI image archives from local files, with no registry and no container engine: one uncompressed,
// reproducible layer (GNU tar, sorted, owner 0, mtime 0), its config and manifest, in an OCI image layout tar
// that `ctr images import` accepts.
import { createHash } from "node:crypto";
import { execFileSync } from "node:child_process";
import {
  chmodSync,
  copyFileSync,
  cpSync,
  createReadStream,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  readdirSync,
  statSync,
} from "node:fs";
import { symlinkSync, writeFileSync, renameSync, linkSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";

export interface ImageFile {
  /** Path on this machine. */
  source: string;
  /** Absolute path inside the image. */
  target: string;
  /** Copy the shared libraries the file links against (ldd), for dynamically linked programs. */
  withLibraries?: boolean;
  /** Permission bits, e.g. 0o4755 for a setuid program; default the source's (without setuid/setgid). */
  mode?: number;
}

/** A small file written with the given text, e.g. a configuration or a start script. */
export interface ImageText {
  target: string;
  content: string;
  /** Default 0o644. */
  mode?: number;
}

export interface ImageSpec {
  /** Full reference with tag, e.g. registry.k8s.io/kube-apiserver:v1.34.10. */
  name: string;
  files: ImageFile[];
  /** Directories copied whole (symlinks followed), e.g. an application and its node_modules. */
  trees?: { source: string; target: string }[];
  texts?: ImageText[];
  /** Symlinks inside the image: path -> target. */
  links?: Record<string, string>;
  entrypoint: string[];
  cmd?: string[];
  env?: string[];
  user?: string;
}

const digestOf = (data: Buffer | string) => createHash("sha256").update(data).digest("hex");

async function fileDigest(path: string): Promise<string> {
  const hash = createHash("sha256");
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest("hex");
}

/** The shared libraries (and the loader) a dynamically linked program needs, from ldd. */
function sharedLibraries(program: string): string[] {
  let output: string;
  try {
    output = execFileSync("ldd", [program], { encoding: "utf8" });
  } catch {
    return []; // "not a dynamic executable"
  }
  const libraries = new Set<string>();
  for (const line of output.split("\n")) {
    const match = /(?:=>\s*)?(\/\S+)\s+\(0x/.exec(line);
    if (match?.[1]) libraries.add(match[1]);
  }
  return [...libraries];
}

/** The paths and contents under a directory (not mtimes: a rebuild that writes the same files keeps the key). */
function treeFingerprint(root: string): string {
  const hash = createHash("sha256");
  const entries = readdirSync(root, { recursive: true, withFileTypes: true });
  const files = entries.filter((e) => !e.isDirectory()).map((e) => join(e.parentPath, e.name));
  for (const path of files.sort()) hash.update(`${path}\0`).update(readFileSync(path));
  return hash.digest("hex");
}

/** A key that changes whenever the image content would: the spec and each source file's identity. */
export function imageCacheKey(spec: ImageSpec): string {
  const sources = spec.files.map((f) => {
    const stat = statSync(f.source);
    return [f.source, f.target, f.withLibraries ?? false, f.mode ?? null, stat.size, stat.mtimeMs];
  });
  const trees = (spec.trees ?? []).map((t) => [t.source, t.target, treeFingerprint(t.source)]);
  return digestOf(JSON.stringify({ spec: { ...spec, files: undefined, trees: undefined }, sources, trees })).slice(
    0,
    16,
  );
}

function buildRootfs(spec: ImageSpec, rootfs: string): void {
  const place = (source: string, target: string, mode = statSync(source).mode & 0o777) => {
    const destination = join(rootfs, target);
    mkdirSync(dirname(destination), { recursive: true });
    copyFileSync(source, destination);
    chmodSync(destination, mode);
  };
  for (const file of spec.files) {
    if (!existsSync(file.source)) throw new Error(`image ${spec.name}: ${file.source} does not exist`);
    place(file.source, file.target, file.mode);
    if (file.withLibraries) for (const library of sharedLibraries(file.source)) place(library, library);
  }
  for (const text of spec.texts ?? []) {
    const destination = join(rootfs, text.target);
    mkdirSync(dirname(destination), { recursive: true });
    writeFileSync(destination, text.content);
    chmodSync(destination, text.mode ?? 0o644);
  }
  for (const tree of spec.trees ?? []) {
    if (!existsSync(tree.source)) throw new Error(`image ${spec.name}: ${tree.source} does not exist`);
    cpSync(tree.source, join(rootfs, tree.target), { recursive: true, dereference: true });
  }
  for (const [path, target] of Object.entries(spec.links ?? {})) {
    mkdirSync(dirname(join(rootfs, path)), { recursive: true });
    symlinkSync(target, join(rootfs, path));
  }
  // The minimum a program expects of a filesystem: a writable /tmp, and passwd/group entries for root and nobody.
  mkdirSync(join(rootfs, "tmp"), { recursive: true });
  chmodSync(join(rootfs, "tmp"), 0o1777);
  mkdirSync(join(rootfs, "etc"), { recursive: true });
  if (!existsSync(join(rootfs, "etc/passwd"))) {
    writeFileSync(
      join(rootfs, "etc/passwd"),
      "root:x:0:0:root:/root:/sbin/nologin\nnobody:x:65534:65534:nobody:/:/sbin/nologin\n",
    );
    writeFileSync(join(rootfs, "etc/group"), "root:x:0:\nnogroup:x:65534:\n");
  }
}

const tarReproducible = ["--sort=name", "--owner=0", "--group=0", "--numeric-owner", "--mtime=@0", "--format=posix"];

/** Writes the image as an OCI layout tar at `archive` (atomically); returns the manifest digest. */
export async function buildImageArchive(spec: ImageSpec, archive: string): Promise<string> {
  const work = mkdtempSync(join(tmpdir(), "kamaji-image-"));
  try {
    const rootfs = join(work, "rootfs");
    const layout = join(work, "layout");
    const blobs = join(layout, "blobs/sha256");
    mkdirSync(rootfs);
    mkdirSync(blobs, { recursive: true });
    buildRootfs(spec, rootfs);

    const layerFile = join(work, "layer.tar");
    execFileSync("tar", [
      "-C",
      rootfs,
      ...tarReproducible,
      "--pax-option=delete=atime,delete=ctime",
      "-cf",
      layerFile,
      ".",
    ]);
    const layerDigest = await fileDigest(layerFile);
    linkSync(layerFile, join(blobs, layerDigest));
    const layerSize = statSync(layerFile).size;

    const putJson = (value: unknown) => {
      const data = Buffer.from(JSON.stringify(value));
      const digest = digestOf(data);
      writeFileSync(join(blobs, digest), data);
      return { digest: `sha256:${digest}`, size: data.length };
    };
    const epoch = "1970-01-01T00:00:00Z";
    const config = putJson({
      architecture: "amd64",
      os: "linux",
      created: epoch,
      config: {
        Entrypoint: spec.entrypoint,
        ...(spec.cmd ? { Cmd: spec.cmd } : {}),
        Env: spec.env ?? ["PATH=/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin"],
        WorkingDir: "/",
        ...(spec.user ? { User: spec.user } : {}),
      },
      rootfs: { type: "layers", diff_ids: [`sha256:${layerDigest}`] },
      history: [{ created: epoch, created_by: "kamaji tools/images" }],
    });
    const manifest = putJson({
      schemaVersion: 2,
      mediaType: "application/vnd.oci.image.manifest.v1+json",
      config: { mediaType: "application/vnd.oci.image.config.v1+json", ...config },
      layers: [
        { mediaType: "application/vnd.oci.image.layer.v1.tar", digest: `sha256:${layerDigest}`, size: layerSize },
      ],
    });
    writeFileSync(join(layout, "oci-layout"), JSON.stringify({ imageLayoutVersion: "1.0.0" }));
    writeFileSync(
      join(layout, "index.json"),
      JSON.stringify({
        schemaVersion: 2,
        mediaType: "application/vnd.oci.image.index.v1+json",
        manifests: [
          {
            mediaType: "application/vnd.oci.image.manifest.v1+json",
            ...manifest,
            platform: { architecture: "amd64", os: "linux" },
            annotations: {
              "io.containerd.image.name": spec.name,
              "org.opencontainers.image.ref.name": spec.name.slice(spec.name.lastIndexOf(":") + 1),
            },
          },
        ],
      }),
    );
    mkdirSync(dirname(archive), { recursive: true });
    execFileSync("tar", ["-C", layout, ...tarReproducible, "-cf", `${archive}.tmp`, "."]);
    renameSync(`${archive}.tmp`, archive);
    return manifest.digest;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
