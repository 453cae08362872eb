// Writes config/crd/*.yaml, and the same files into the kamaji-crds chart, from the schemas in src/api/v1alpha1
// (test/unit/api/crd.test.ts checks they match).
import { mkdirSync, writeFileSync } from "node:fs";
import { crdFileName, crdYaml } from "../src/api/crd.js";
import { kinds } from "../src/api/v1alpha1/kinds.js";

for (const dir of ["../config/crd/", "../charts/kamaji-crds/files/"].map((d) => new URL(d, import.meta.url))) {
  mkdirSync(dir, { recursive: true });
  for (const kind of kinds) {
    const file = new URL(crdFileName(kind), dir);
    writeFileSync(file, crdYaml(kind));
    console.log(`wrote ${file.pathname}`);
  }
}
