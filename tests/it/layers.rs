//! The crate's shape, checked: layers import only downwards
//! (`engine` <- `data` <- `run` <- `store`, `exchange` <- `runner` <- `api`, `tui` <- `cli`), and no two
//! files of one module import each other. Reads the source as text, so it fails the moment someone adds
//! an upward `use`, long before the design erodes.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Layer of each top-level module; a module may use its own layer's peers and anything lower.
const LAYERS: &[(&str, u8)] = &[
    ("engine", 0),
    ("data", 1),
    ("script", 1),
    ("run", 2),
    ("store", 3),
    ("exchange", 3),
    ("runner", 4),
    ("api", 5),
    ("tui", 5),
];

fn layer(module: &str) -> Option<u8> {
    LAYERS.iter().find(|(m, _)| *m == module).map(|(_, l)| *l)
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let p = e.path();
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

/// Code without comments and string literals' contents (doc comments mention other layers freely).
fn code_of(text: &str) -> String {
    text.lines()
        .map(|l| l.split("//").next().unwrap_or(""))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Every `crate::NAME` the code refers to.
fn crate_refs(code: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for (i, _) in code.match_indices("crate::") {
        // `cracktrader::` in the binary is the same crate seen from outside; skip `$crate::`.
        if code[..i].ends_with('$') {
            continue;
        }
        let rest = &code[i + "crate::".len()..];
        let name: String = rest.chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect();
        if !name.is_empty() {
            out.insert(name);
        }
    }
    out
}

#[test]
fn no_module_imports_a_higher_layer() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let mut violations = Vec::new();
    let mut checked = 0;
    for f in &files {
        let rel = f.strip_prefix(&src).unwrap();
        let Some(top) = rel.components().next().and_then(|c| c.as_os_str().to_str()) else {
            continue;
        };
        let Some(own) = layer(top) else { continue };
        checked += 1;
        let code = code_of(&std::fs::read_to_string(f).unwrap());
        for name in crate_refs(&code) {
            if let Some(l) = layer(&name) {
                if l > own {
                    violations.push(format!(
                        "{} uses crate::{name} (layer {l} above {top}'s {own})",
                        rel.display()
                    ));
                }
            }
        }
        if top == "engine" {
            for forbidden in ["ratatui", "axum", "crossterm", "rusqlite", "reqwest", "tokio"] {
                if code.contains(&format!("{forbidden}::")) {
                    violations.push(format!("{} uses {forbidden} inside the engine", rel.display()));
                }
            }
        }
    }
    assert!(checked > 50, "only {checked} files checked: is src/ where it was?");
    assert!(violations.is_empty(), "imports pointing up:\n{}", violations.join("\n"));
}

#[test]
fn no_two_files_of_a_module_import_each_other() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    // file stem -> sibling stems it names through `super::X` or `crate::<module path>::X`.
    let mut uses: BTreeMap<PathBuf, BTreeSet<String>> = BTreeMap::new();
    for f in &files {
        let rel = f.strip_prefix(&src).unwrap().to_path_buf();
        let dir = rel.parent().unwrap_or(Path::new("")).to_path_buf();
        let stem = rel.file_stem().unwrap().to_string_lossy().to_string();
        // A `mod.rs` belongs to the directory above for `super::` purposes; skip it as a sibling.
        if stem == "mod" {
            continue;
        }
        let module_path: String = dir
            .components()
            .map(|c| c.as_os_str().to_string_lossy().to_string())
            .collect::<Vec<_>>()
            .join("::");
        let code = code_of(&std::fs::read_to_string(f).unwrap());
        let mut named = BTreeSet::new();
        for prefix in ["super::".to_string(), format!("crate::{module_path}::")] {
            for (i, _) in code.match_indices(&prefix) {
                if prefix == "super::" && code[..i].ends_with("super::") {
                    continue;
                }
                let rest = &code[i + prefix.len()..];
                let name: String = rest.chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect();
                if name != stem && dir.join(format!("{name}.rs")).exists_in(&src) {
                    named.insert(name);
                }
            }
        }
        uses.insert(rel, named);
    }
    let mut cycles = Vec::new();
    for (file, named) in &uses {
        let dir = file.parent().unwrap_or(Path::new(""));
        let stem = file.file_stem().unwrap().to_string_lossy().to_string();
        for other in named {
            let other_file = dir.join(format!("{other}.rs"));
            if uses.get(&other_file).is_some_and(|n| n.contains(&stem)) && stem < *other {
                cycles.push(format!("{} <-> {}", file.display(), other_file.display()));
            }
        }
    }
    assert!(cycles.is_empty(), "files importing each other:\n{}", cycles.join("\n"));
}

trait ExistsIn {
    fn exists_in(&self, root: &Path) -> bool;
}

impl ExistsIn for PathBuf {
    fn exists_in(&self, root: &Path) -> bool {
        root.join(self).exists()
    }
}
