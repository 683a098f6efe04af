//! The import graph of the runtime's top-level modules, read from its source files.

use std::collections::{BTreeMap, BTreeSet, HashMap, VecDeque};
use std::fs;
use std::path::Path;

use super::scan::{Scan, scan};
use super::{AT_LEAST, RUNTIME_SRC};
// ---------------------------------------------------------------------------------------------
// The graph.

/// One mention of a top-level module in a file of another.
#[derive(Clone, Debug)]
pub(crate) struct Import {
    pub(crate) from: String,
    pub(crate) to: String,
    /// The file, from the workspace root.
    pub(crate) file: String,
    pub(crate) line: usize,
    /// The path when it does not name the module itself (`crate::ConfigError`, `super::rate`).
    pub(crate) via: Option<String>,
}

impl Import {
    pub(crate) fn place(&self) -> String {
        match &self.via {
            Some(via) => format!("{}:{} (`{via}`)", self.file, self.line),
            None => format!("{}:{}", self.file, self.line),
        }
    }

    pub(crate) fn describe(&self) -> String {
        format!("{} -> {}: {}", self.from, self.to, self.place())
    }
}

#[derive(Debug, Default)]
pub(crate) struct Graph {
    pub(crate) modules: BTreeSet<String>,
    /// In file and line order.
    pub(crate) imports: Vec<Import>,
}

impl Graph {
    /// The imports of each pair of modules.
    pub(crate) fn edges(&self) -> BTreeMap<(String, String), Vec<&Import>> {
        let mut edges: BTreeMap<_, Vec<_>> = BTreeMap::new();
        for import in &self.imports {
            edges
                .entry((import.from.clone(), import.to.clone()))
                .or_default()
                .push(import);
        }
        edges
    }

    /// The modules each module imports.
    pub(crate) fn successors(&self) -> BTreeMap<&str, BTreeSet<&str>> {
        let mut next: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
        for import in &self.imports {
            next.entry(&import.from).or_default().insert(&import.to);
        }
        next
    }

    /// Cycles as `[a, b, .., a]`, each starting at its smallest module, shortest first: every
    /// edge that is on a cycle is on one of them, on one as short as any through it.
    pub(crate) fn cycles(&self) -> Vec<Vec<String>> {
        let next = self.successors();
        let mut cycles = BTreeSet::new();
        for (&from, targets) in &next {
            for &to in targets {
                let Some(back) = shortest_path(&next, to, from) else {
                    continue;
                };
                // `back` is `to .. from`; the cycle is `from, to .. from` less its repeated end.
                let mut cycle: Vec<&str> = std::iter::once(from).chain(back).collect();
                cycle.pop();
                let start = (0..cycle.len()).min_by_key(|&i| cycle[i]).unwrap_or(0);
                cycle.rotate_left(start);
                cycle.push(cycle[0]);
                cycles.insert(cycle.iter().map(|m| (*m).to_owned()).collect::<Vec<_>>());
            }
        }
        let mut cycles: Vec<_> = cycles.into_iter().collect();
        cycles.sort_by_key(Vec::len);
        // Shortest first, each only if it has an edge no shorter one has.
        let mut covered = BTreeSet::new();
        cycles.retain(|cycle| {
            let mut new = false;
            for pair in cycle.windows(2) {
                new |= covered.insert((pair[0].clone(), pair[1].clone()));
            }
            new
        });
        cycles
    }

    /// The sets of two or more modules that can each reach all the others (the strongly
    /// connected components), each sorted, in order of their smallest module.
    pub(crate) fn tangles(&self) -> Vec<Vec<String>> {
        let next = self.successors();
        let mut placed = BTreeSet::new();
        let mut tangles = Vec::new();
        for module in &self.modules {
            if placed.contains(module.as_str()) {
                continue;
            }
            let tangle: Vec<String> = self
                .modules
                .iter()
                .filter(|other| {
                    *other == module
                        || (shortest_path(&next, module, other).is_some()
                            && shortest_path(&next, other, module).is_some())
                })
                .cloned()
                .collect();
            placed.extend(tangle.iter().cloned());
            if tangle.len() > 1 {
                tangles.push(tangle);
            }
        }
        tangles
    }
}

/// The modules of a shortest path `from .. to`, both included.
pub(crate) fn shortest_path<'a>(
    next: &BTreeMap<&'a str, BTreeSet<&'a str>>,
    from: &'a str,
    to: &'a str,
) -> Option<Vec<&'a str>> {
    let mut came_from: HashMap<&str, &str> = HashMap::from([(from, from)]);
    let mut queue = VecDeque::from([from]);
    while let Some(module) = queue.pop_front() {
        if module == to {
            let mut path = vec![to];
            while let Some(&previous) = came_from.get(path[path.len() - 1]) {
                if previous == path[path.len() - 1] {
                    break;
                }
                path.push(previous);
            }
            path.reverse();
            return Some(path);
        }
        for &target in next.get(module).into_iter().flatten() {
            if !came_from.contains_key(target) {
                came_from.insert(target, module);
                queue.push_back(target);
            }
        }
    }
    None
}

/// The graph of the runtime's source, checked to have found something.
pub(crate) fn runtime_graph() -> Graph {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join(RUNTIME_SRC);
    let mut files = Vec::new();
    read_sources(&src, "", &mut files);
    files.sort();
    let graph = build_graph(&files);
    let edges = graph.edges().len();
    assert!(
        graph.modules.len() >= AT_LEAST && edges >= AT_LEAST,
        "read {} modules and {edges} imports between them in {}: expected at least {AT_LEAST} \
         of each, so the reading of the source broke (or the runtime moved)",
        graph.modules.len(),
        src.display()
    );
    graph
}

/// Every `.rs` file under `dir`, as (path from `src` with `/`, text).
pub(crate) fn read_sources(dir: &Path, prefix: &str, files: &mut Vec<(String, String)>) {
    let entries = fs::read_dir(dir).unwrap_or_else(|e| panic!("read {}: {e}", dir.display()));
    for entry in entries {
        let entry = entry.unwrap_or_else(|e| panic!("read {}: {e}", dir.display()));
        let path = entry.path();
        let name = entry.file_name().to_string_lossy().into_owned();
        if path.is_dir() {
            read_sources(&path, &format!("{prefix}{name}/"), files);
        } else if path.extension().is_some_and(|ext| ext == "rs") {
            let text = fs::read_to_string(&path)
                .unwrap_or_else(|e| panic!("read {}: {e}", path.display()));
            files.push((format!("{prefix}{name}"), text));
        }
    }
}

/// The graph of the files (path from `src`, text) of a crate.
pub(crate) fn build_graph(files: &[(String, String)]) -> Graph {
    let scans: Vec<(&str, Scan)> = files
        .iter()
        .map(|(path, text)| (path.as_str(), scan(text, depth_of(path))))
        .collect();
    // The modules declared `#[cfg(test)] mod name;`, as paths without `.rs`.
    let mut test_modules = Vec::new();
    for (path, scan) in &scans {
        for module in &scan.test_modules {
            test_modules.push(format!("{}{module}", child_dir(path)));
        }
    }
    let is_test = |path: &str| {
        let stem = path.strip_suffix(".rs").unwrap_or(path);
        test_modules
            .iter()
            .any(|m| stem == m || stem.starts_with(&format!("{m}/")))
    };
    let scans: Vec<_> = scans
        .into_iter()
        .filter(|(path, scan)| !scan.test_only && !is_test(path))
        .collect();

    let mut graph = Graph::default();
    for (path, _) in &scans {
        if let Some(module) = module_of(path) {
            graph.modules.insert(module.to_owned());
        }
    }
    let reexports = root_reexports(&scans, &graph.modules);
    for (path, scan) in &scans {
        let Some(from) = module_of(path) else {
            continue;
        };
        for mention in &scan.mentions {
            let (to, via) = if graph.modules.contains(&mention.head) {
                let direct = mention.via.starts_with("crate");
                (
                    mention.head.as_str(),
                    (!direct).then(|| mention.via.clone()),
                )
            } else if let Some(module) = reexports.get(mention.head.as_str()) {
                (*module, Some(mention.via.clone()))
            } else {
                continue;
            };
            if to != from {
                graph.imports.push(Import {
                    from: from.to_owned(),
                    to: to.to_owned(),
                    file: format!("{RUNTIME_SRC}/{path}"),
                    line: mention.line,
                    via,
                });
            }
        }
    }
    graph
}

/// The names the crate root's `use` items bring in, with the module they come from.
pub(crate) fn root_reexports<'a>(
    scans: &'a [(&str, Scan)],
    modules: &'a BTreeSet<String>,
) -> HashMap<&'a str, &'a str> {
    let mut reexports = HashMap::new();
    for (path, scan) in scans {
        if *path != "lib.rs" {
            continue;
        }
        for (segments, name) in &scan.root_uses {
            let segments = match segments.first().map(String::as_str) {
                Some("crate" | "self") => &segments[1..],
                _ => &segments[..],
            };
            if let [head, _, ..] = segments
                && let Some(module) = modules.get(head)
                && !modules.contains(name)
            {
                reexports.insert(name.as_str(), module.as_str());
            }
        }
    }
    reexports
}

/// The top-level module a file belongs to; `None` for the crate root.
pub(crate) fn module_of(path: &str) -> Option<&str> {
    match path.split_once('/') {
        Some((module, _)) => Some(module),
        None if path == "lib.rs" || path == "main.rs" => None,
        None => path.strip_suffix(".rs"),
    }
}

/// How many modules deep a file's module is: 0 for `lib.rs`, 1 for `auth.rs` or `auth/mod.rs`.
pub(crate) fn depth_of(path: &str) -> usize {
    let segments = path.split('/').count();
    let own_file = path.ends_with("/mod.rs") || path == "lib.rs" || path == "main.rs";
    if own_file { segments - 1 } else { segments }
}

/// The directory of the files of a file's child modules: `auth/` for `auth.rs` and
/// `auth/mod.rs`, the empty path for `lib.rs`.
pub(crate) fn child_dir(path: &str) -> String {
    let stem = path.strip_suffix(".rs").unwrap_or(path);
    match stem.rsplit_once('/') {
        Some((dir, "mod")) => format!("{dir}/"),
        None if stem == "lib" || stem == "main" => String::new(),
        _ => format!("{stem}/"),
    }
}
