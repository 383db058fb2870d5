//! The engine's modules form layers: no module of `shared` reaches, directly or through
//! others, back to itself (model → audit → catalog → ops → model was such a loop). Checked on
//! the source: each top-level module's references to `crate::<module>` (comments and test
//! modules left out), and inside `api` and `model`, each file's `use super::` imports of its
//! siblings' items.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

type Graph = BTreeMap<String, BTreeSet<String>>;

fn without_comments_and_tests(source: &str) -> String {
    let code = source.split("#[cfg(test)]").next().unwrap_or_default();
    code.lines().map(|line| line.split("//").next().unwrap_or_default()).collect::<Vec<_>>().join("\n")
}

fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for entry in fs::read_dir(dir).expect("a source directory").flatten() {
        let path = entry.path();
        if path.is_dir() {
            files.extend(rust_files(&path));
        } else if path.extension().is_some_and(|e| e == "rs") {
            let name = path.file_name().and_then(|n| n.to_str()).unwrap_or_default();
            if name != "tests.rs" && !name.ends_with("_tests.rs") {
                files.push(path);
            }
        }
    }
    files
}

fn code_of(file: &Path) -> String {
    without_comments_and_tests(&fs::read_to_string(file).expect("a readable source file"))
}

/// Which top-level modules each top-level module names after `crate::`.
fn top_level_graph(src: &Path) -> Graph {
    let modules: BTreeSet<String> = fs::read_dir(src)
        .expect("shared/src")
        .flatten()
        .filter_map(|e| {
            let name = e.file_name().into_string().ok()?;
            let module = name.strip_suffix(".rs").unwrap_or(&name).to_owned();
            (module != "lib").then_some(module)
        })
        .collect();
    let mut graph = Graph::new();
    for file in rust_files(src) {
        let relative = file.strip_prefix(src).expect("inside src");
        let first = relative.components().next().and_then(|c| c.as_os_str().to_str()).unwrap_or_default();
        let module = first.strip_suffix(".rs").unwrap_or(first).to_owned();
        if module == "lib" {
            continue;
        }
        let code = code_of(&file);
        let mut targets = BTreeSet::new();
        for (i, _) in code.match_indices("crate::") {
            let rest = &code[i + "crate::".len()..];
            match rest.strip_prefix('{') {
                Some(group) => {
                    let group = group.split('}').next().unwrap_or_default();
                    targets.extend(
                        group
                            .split(',')
                            .map(|item| item.trim().split("::").next().unwrap_or_default().to_owned()),
                    );
                }
                None => {
                    targets.insert(rest.chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect());
                }
            }
        }
        let entry = graph.entry(module.clone()).or_default();
        entry.extend(targets.into_iter().filter(|t| modules.contains(t) && *t != module));
    }
    graph
}

/// Inside one folder module: which sibling files' items each file imports through `use super::`.
fn folder_graph(dir: &Path) -> Graph {
    let files: Vec<PathBuf> =
        rust_files(dir).into_iter().filter(|f| f.parent() == Some(dir) && !f.ends_with("mod.rs")).collect();
    let name = |f: &Path| f.file_stem().and_then(|s| s.to_str()).unwrap_or_default().to_owned();
    let mut defined_in = BTreeMap::new();
    for file in &files {
        for line in code_of(file).lines() {
            let words: Vec<&str> = line.split_whitespace().collect();
            if let ["pub", kind, item, ..] = words.as_slice()
                && ["struct", "enum", "fn", "const", "type", "trait"].contains(kind)
            {
                let item: String = item.chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect();
                defined_in.insert(item, name(file));
            }
        }
    }
    let mut graph = Graph::new();
    for file in &files {
        let code = code_of(file);
        let mut uses = BTreeSet::new();
        for (i, _) in code.match_indices("use super::") {
            let rest = &code[i + "use super::".len()..];
            let list = match rest.strip_prefix('{') {
                Some(group) => group.split('}').next().unwrap_or_default(),
                None => rest.split(';').next().unwrap_or_default(),
            };
            for item in list.split(',') {
                if let Some(owner) = defined_in.get(item.trim())
                    && *owner != name(file)
                {
                    uses.insert(owner.clone());
                }
            }
        }
        graph.insert(name(file), uses);
    }
    graph
}

/// A cycle of `graph`, if it has one.
fn cycle(graph: &Graph) -> Option<Vec<String>> {
    fn visit(
        node: &str,
        graph: &Graph,
        path: &mut Vec<String>,
        done: &mut BTreeSet<String>,
    ) -> Option<Vec<String>> {
        if let Some(at) = path.iter().position(|n| n == node) {
            let mut found = path[at..].to_vec();
            found.push(node.to_owned());
            return Some(found);
        }
        if done.contains(node) {
            return None;
        }
        path.push(node.to_owned());
        for next in graph.get(node).into_iter().flatten() {
            if let Some(found) = visit(next, graph, path, done) {
                return Some(found);
            }
        }
        path.pop();
        done.insert(node.to_owned());
        None
    }
    let mut done = BTreeSet::new();
    graph.keys().find_map(|node| visit(node, graph, &mut Vec::new(), &mut done))
}

#[test]
fn the_engine_modules_form_layers_without_cycles() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let top = top_level_graph(&src);
    assert!(top.get("ops").is_some_and(|deps| deps.contains("model")), "the graph is read: {top:?}");
    assert_eq!(cycle(&top), None, "modules of shared that depend on each other in a loop: {top:?}");
    for folder in ["api", "model"] {
        let graph = folder_graph(&src.join(folder));
        assert!(graph.len() > 5, "{folder} is split by area: {graph:?}");
        assert!(graph.values().any(|deps| !deps.is_empty()), "the imports of {folder} are read: {graph:?}");
        assert_eq!(cycle(&graph), None, "files of {folder} that import each other in a loop: {graph:?}");
    }
}

#[test]
fn a_loop_is_found() {
    let graph: Graph = [("a", "b"), ("b", "c"), ("c", "a")]
        .into_iter()
        .map(|(from, to)| (from.to_owned(), BTreeSet::from([to.to_owned()])))
        .collect();
    assert_eq!(cycle(&graph), Some(vec!["a".into(), "b".into(), "c".into(), "a".into()]));
}
