// The images the conformance suite runs, under the exact names its e2e.test asks for (`e2e.test --list-images`),
// built from the suite's own binaries (hack/build-upstream.sh conformance) and Debian packages: no registry.
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { etcdImage, pauseImage } from "../images/catalog.js";
import type { ImageFile, ImageSpec } from "../images/oci-image.js";
import { binary, kubernetesBinary, versions } from "../upstream.js";

const standardPath = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/** What the suite's images are made of, by repository; repositories only non-conformance tests use are absent. */
export type ImageKind =
  | "agnhost"
  | "busybox"
  | "httpd"
  | "nginx"
  | "nautilus"
  | "jessie-dnsutils"
  | "sample-apiserver"
  | "nonewprivs"
  | "etcd"
  | "pause";

const kindsByRepository: Record<string, ImageKind> = {
  "registry.k8s.io/e2e-test-images/agnhost": "agnhost",
  "registry.k8s.io/e2e-test-images/busybox": "busybox",
  "registry.k8s.io/e2e-test-images/httpd": "httpd",
  "registry.k8s.io/e2e-test-images/nginx": "nginx",
  "registry.k8s.io/e2e-test-images/nautilus": "nautilus",
  "registry.k8s.io/e2e-test-images/jessie-dnsutils": "jessie-dnsutils",
  "registry.k8s.io/e2e-test-images/sample-apiserver": "sample-apiserver",
  "registry.k8s.io/e2e-test-images/nonewprivs": "nonewprivs",
  "registry.k8s.io/etcd": "etcd",
  "registry.k8s.io/pause": "pause",
};

export interface PlannedImage {
  name: string;
  kind: ImageKind;
  tag: string;
}

/**
 * The images to build from the suite's `--list-images` output: those of the repositories conformance tests use
 * (every tag listed, as a test may name two versions of one image). The rest serve tests outside conformance.
 */
export function plannedImages(listImagesOutput: string): PlannedImage[] {
  const planned: PlannedImage[] = [];
  for (const name of listImagesOutput.split("\n").map((line) => line.trim())) {
    const match = /^(.+):([^:/]+)$/.exec(name);
    const kind = match?.[1] ? kindsByRepository[match[1]] : undefined;
    if (match?.[2] && kind) planned.push({ name, kind, tag: match[2] });
  }
  return planned.sort((a, b) => a.name.localeCompare(b.name));
}

/** The conformance component's build output (e2e.test and the test binaries). */
export const suiteBinary = (name: string): string => binary("conformance", name);

/**
 * Upstream BusyBox (hack/build-upstream.sh busybox), as upstream's images have it: its ash looks commands up in
 * PATH (so Debian's real tools win where an image adds them) and passes on environment variables whose names are
 * not shell names. Every applet is linked in /bin.
 */
let busyboxLayout: { files: ImageFile[]; links: Record<string, string> } | undefined;
const busyboxFiles = (): { files: ImageFile[]; links: Record<string, string> } => {
  if (busyboxLayout) return busyboxLayout;
  const source = binary("busybox", "busybox");
  const applets = execFileSync(source, ["--list"], { encoding: "utf8" }).split("\n").filter(Boolean);
  busyboxLayout = {
    files: [{ source, target: "/bin/busybox" }],
    links: Object.fromEntries(applets.filter((a) => a !== "busybox").map((a) => [`/bin/${a}`, "busybox"])),
  };
  return busyboxLayout;
};

/** An image of busybox and `extra` files that runs `cmd` (through PATH, as the upstream images do). */
const busyboxImageWith = (name: string, extra: ImageFile[], cmd: string[]): ImageSpec => {
  const busybox = busyboxFiles();
  return { name, files: [...busybox.files, ...extra], links: busybox.links, env: [standardPath], entrypoint: [], cmd };
};

/** A Debian program with the libraries it links, at its own path. */
const debianProgram = (path: string, hint: string): ImageFile => {
  if (!existsSync(path)) throw new Error(`${path} is missing: ${hint}`);
  return { source: path, target: path, withLibraries: true };
};

/** The DNS tools tests run in agnhost and jessie-dnsutils. */
const dnsTools = (): ImageFile[] => [
  debianProgram("/usr/bin/dig", "apt-get install bind9-dnsutils"),
  debianProgram("/usr/bin/nslookup", "apt-get install bind9-dnsutils"),
  debianProgram("/usr/bin/getent", "apt-get install libc-bin"),
];

/**
 * agnhost: the test binary as entrypoint (`pause` by default, `/agnhost-2` too), porter's TLS pair in `/`, and the
 * tools tests run inside it (busybox's shell and applets; curl, OpenBSD nc, dig, nslookup, getent from Debian).
 */
function agnhostFiles(): Pick<ImageSpec, "files" | "links"> {
  const busybox = busyboxFiles();
  return {
    files: [
      { source: suiteBinary("agnhost"), target: "/agnhost" },
      { source: suiteBinary("porter/localhost.crt"), target: "/localhost.crt" },
      { source: suiteBinary("porter/localhost.key"), target: "/localhost.key" },
      ...busybox.files,
      debianProgram("/usr/bin/curl", "apt-get install curl"),
      debianProgram("/bin/nc.openbsd", "apt-get install netcat-openbsd"),
      ...dnsTools(),
      { source: "/etc/ssl/certs/ca-certificates.crt", target: "/etc/ssl/certs/ca-certificates.crt" },
    ],
    links: { ...busybox.links, "/agnhost-2": "agnhost", "/usr/bin/nc": "/bin/nc.openbsd" },
  };
}

/** A static web site on port 80 from busybox httpd: the page tests read and move away to fail a probe. */
function webServer(name: string, root: string, entrypoint: string, product: string): ImageSpec {
  const busybox = busyboxFiles();
  return {
    name,
    files: busybox.files,
    links: busybox.links,
    texts: [
      { target: `${root}/index.html`, content: "<html><body><h1>It works!</h1></body></html>\n" },
      { target: entrypoint, content: `#!/bin/sh\nexec /bin/httpd -f -p 80 -h ${root}\n`, mode: 0o755 },
    ],
    // The tag in the environment: each tag is an image of its own, as tests compare two versions' pods.
    env: [standardPath, `${product}=${name.split(":").at(-1) ?? ""}`],
    entrypoint: [entrypoint],
  };
}

function imageOf(planned: PlannedImage): ImageSpec {
  const { name } = planned;
  switch (planned.kind) {
    case "agnhost":
      return { name, ...agnhostFiles(), env: [standardPath], entrypoint: ["/agnhost"], cmd: ["pause"] };
    case "nautilus": {
      const agnhost = agnhostFiles();
      return {
        name,
        files: [
          ...agnhost.files,
          { source: suiteBinary("nautilus/data.json"), target: "/data.json" },
          { source: suiteBinary("nautilus/nautilus.jpg"), target: "/nautilus.jpg" },
        ],
        links: agnhost.links,
        env: [standardPath],
        entrypoint: ["/agnhost"],
        cmd: ["test-webserver"],
      };
    }
    case "busybox":
      return busyboxImageWith(name, [], ["sh"]);
    case "httpd":
      return webServer(name, "/usr/local/apache2/htdocs", "/usr/local/bin/httpd-foreground", "HTTPD_VERSION");
    case "nginx":
      return webServer(name, "/usr/share/nginx/html", "/usr/local/bin/nginx-foreground", "NGINX_VERSION");
    case "jessie-dnsutils":
      return busyboxImageWith(name, dnsTools(), ["sh"]);
    case "sample-apiserver":
      return {
        name,
        files: [{ source: suiteBinary("sample-apiserver"), target: "/sample-apiserver" }],
        entrypoint: ["/sample-apiserver"],
      };
    case "nonewprivs":
      return busyboxImageWith(
        name,
        [{ source: suiteBinary("nnp"), target: "/usr/local/bin/nnp", mode: 0o4755 }],
        ["nnp"],
      );
    case "etcd":
      return { ...etcdImage(`v${planned.tag.replace(/-\d+$/, "")}`), name };
    case "pause":
      return { ...pauseImage(), name };
  }
}

/** The e2e.test's `--list-images`. */
export const listedImages = (): string =>
  execFileSync(suiteBinary("e2e.test"), ["--list-images"], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });

/** Every image the conformance tests run, plus the runner's: the suite (conformance) and hydrophone's busybox. */
export function conformanceImages(runnerBusybox: string): ImageSpec[] {
  const specs = plannedImages(listedImages()).map(imageOf);
  specs.push(busyboxImageWith(runnerBusybox, [], ["sh"]));
  specs.push(runnerImage());
  return specs;
}

/** The conformance image's name for this Kubernetes version, as hydrophone derives it from the server's. */
export const runnerImageName = (): string => `registry.k8s.io/conformance:${versions.kubernetes}`;

/**
 * The conformance image as upstream lays it out: go-runner as `kubeconformance` driving ginkgo and e2e.test, with
 * kubectl, a shell and `cat` (hydrophone reads the progress and results through them).
 */
function runnerImage(): ImageSpec {
  const busybox = busyboxFiles();
  return {
    name: runnerImageName(),
    files: [
      { source: suiteBinary("go-runner"), target: "/usr/local/bin/kubeconformance" },
      { source: suiteBinary("ginkgo"), target: "/usr/local/bin/ginkgo" },
      { source: suiteBinary("e2e.test"), target: "/usr/local/bin/e2e.test" },
      { source: kubernetesBinary("kubectl"), target: "/usr/local/bin/kubectl" },
      ...busybox.files,
    ],
    links: busybox.links,
    env: [
      standardPath,
      "E2E_FOCUS=\\[Conformance\\]",
      "E2E_SKIP=",
      "E2E_PROVIDER=local",
      "E2E_PARALLEL=1",
      "E2E_VERBOSITY=4",
      "RESULTS_DIR=/tmp/results",
      "KUBECONFIG=",
    ],
    entrypoint: ["/usr/local/bin/kubeconformance"],
  };
}

export const hydrophoneBinary = (): string => suiteBinary("hydrophone");
