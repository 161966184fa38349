//! The rules of ARCHITECTURE.md that code can check: no import circle between source files,
//! dependencies that point one way between the layers, clap only in the command-line layer and
//! indicatif only in the progress module. It reads `src/` as text, so it needs no tool
//! installed and runs with the rest of `cargo test`.
//!
//! A file's imports are every `crate::`, `super::` and `self::` path in it (`use` trees
//! expanded) and every path through one of its own child modules, outside `#[cfg(test)]`
//! items: a test may reach across layers, the code may not. A path names the deepest source
//! file its prefix is (`crate::stages::dedup::simhash::tokenize` -> `stages/dedup/simhash.rs`).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Files of the binary, not of the library's module tree.
const BINARY: [&str; 2] = ["main", "cli"];

/// Leaves anyone may import: the validated values of `pipeline.toml`.
const SHARED: [&str; 1] = ["config::values"];

/// Layer rules: a module in the first layer (the module or one below it) imports no module in
/// any of the others, except the [`SHARED`] leaves and modules of its own layer.
const LAYERS: &[(&str, &[&str])] = &[
    // The shared types depend on nothing but the error types.
    (
        "model",
        &["check", "config", "explain", "output", "progress", "run", "settings", "stages", "state", "stats"],
    ),
    // Leaves.
    (
        "error",
        &[
            "check", "config", "explain", "model", "output", "progress", "run", "settings", "stages",
            "state", "stats",
        ],
    ),
    (
        "progress",
        &["check", "config", "explain", "model", "output", "run", "settings", "stages", "state", "stats"],
    ),
    (
        "config::values",
        &["check", "config", "explain", "model", "output", "run", "settings", "stages", "state", "stats"],
    ),
    // Input reads files into documents: it knows the model, nothing of what comes after.
    (
        "input",
        &["check", "config", "explain", "output", "progress", "run", "settings", "stages", "state", "stats"],
    ),
    // Stages know their own settings, never the config file, the input, the driver or the output.
    (
        "stages",
        &["check", "config", "explain", "input", "output", "progress", "run", "settings", "state", "stats"],
    ),
    // Output writes what the run hands it.
    ("output", &["check", "config", "explain", "progress", "run", "settings", "state"]),
    ("state", &["check", "config", "explain", "progress", "run", "settings"]),
    ("stats", &["check", "config", "explain", "progress", "run", "settings", "state"]),
    // Config is the schema: it names the stages' choices and nothing above them.
    ("config", &["check", "explain", "progress", "run", "settings", "state", "stats"]),
    ("settings", &["check", "explain", "progress", "run", "state", "stats"]),
    // The driver serves the commands, never the reverse.
    ("run", &["check", "explain"]),
];

#[test]
fn no_import_circle_between_source_files() {
    let graph = graph();
    assert!(graph.len() > 20, "read too few modules: {:?}", graph.keys());
    if let Some(cycle) = find_cycle(&graph) {
        panic!("import circle: {}", cycle.join(" -> "));
    }
}

#[test]
fn dependencies_point_one_way_between_layers() {
    let graph = graph();
    let mut broken = Vec::new();
    for (from, deps) in &graph {
        for (layer, forbidden) in LAYERS {
            if !in_layer(from, layer) {
                continue;
            }
            for to in deps {
                if forbidden.iter().any(|f| in_layer(to, f))
                    && !in_layer(to, layer)
                    && !SHARED.contains(&to.as_str())
                {
                    broken.push(format!("{from} -> {to}"));
                }
            }
        }
    }
    assert!(broken.is_empty(), "imports against the layers of ARCHITECTURE.md:\n{}", broken.join("\n"));
}

#[test]
fn clap_only_in_the_command_line_layer_and_indicatif_only_in_progress() {
    let mut found = Vec::new();
    for (module, file) in files() {
        let code = code_of(&std::fs::read_to_string(&file).unwrap());
        if code.contains("clap::") && !BINARY.contains(&module.as_str()) {
            found.push(format!("{} uses clap", file.display()));
        }
        if code.contains("indicatif") && module != "progress" {
            found.push(format!("{} uses indicatif", file.display()));
        }
    }
    assert!(found.is_empty(), "{}", found.join("\n"));
}

#[test]
fn the_checker_sees_circles_and_paths() {
    // The parser, on code written for the test: a circle through a `use` tree and a child path.
    let parent = "mod child;\nuse crate::other::{self, Thing};\nfn f() { child::g(); }\n";
    let child = "use super::Item;\nmod inner { use super::super::Item; }\n#[cfg(test)]\nmod tests { use crate::far::Away; }\n";
    let mods: BTreeSet<String> = ["p", "p::child", "other", "far"].map(String::from).into();
    let pd = imports("p", parent, &mods);
    assert_eq!(pd, ["other", "p::child"].map(String::from).into());
    let cd = imports("p::child", child, &mods);
    assert_eq!(cd, ["p"].map(String::from).into(), "a test module's imports do not count");
    let g: BTreeMap<String, BTreeSet<String>> = [("p".to_string(), pd), ("p::child".to_string(), cd)].into();
    assert_eq!(find_cycle(&g).unwrap(), ["p", "p::child", "p"]);
    assert!(in_layer("stages::dedup", "stages") && !in_layer("stagesx", "stages"));
}

fn in_layer(module: &str, layer: &str) -> bool {
    module == layer || module.starts_with(&format!("{layer}::"))
}

/// Module path (`stages::dedup`) -> its source file, for every library file.
fn files() -> Vec<(String, PathBuf)> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                walk(&p, out);
            } else if p.extension().is_some_and(|x| x == "rs") {
                out.push(p);
            }
        }
    }
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut paths = Vec::new();
    walk(&src, &mut paths);
    let mut out: Vec<(String, PathBuf)> = paths
        .into_iter()
        .map(|p| {
            let rel = p.strip_prefix(&src).unwrap().with_extension("");
            let mut parts: Vec<String> = rel.iter().map(|s| s.to_string_lossy().into_owned()).collect();
            if parts.last().is_some_and(|l| l == "mod" || l == "lib") {
                parts.pop();
            }
            (parts.join("::"), p)
        })
        .collect();
    out.sort();
    out
}

/// Every library module's imports of other library modules.
fn graph() -> BTreeMap<String, BTreeSet<String>> {
    let files: Vec<(String, PathBuf)> =
        files().into_iter().filter(|(m, _)| !m.is_empty() && !BINARY.contains(&m.as_str())).collect();
    let modules: BTreeSet<String> = files.iter().map(|(m, _)| m.clone()).collect();
    files
        .iter()
        .map(|(m, p)| {
            let text = std::fs::read_to_string(p).unwrap();
            (m.clone(), imports(m, &text, &modules))
        })
        .collect()
}

/// The modules that `text`, the source of `module`, imports.
fn imports(module: &str, text: &str, modules: &BTreeSet<String>) -> BTreeSet<String> {
    let here: Vec<String> = module.split("::").filter(|s| !s.is_empty()).map(String::from).collect();
    let mut out = BTreeSet::new();
    for (inner, code) in inline_modules(&without_tests(&code_of(text))) {
        // `self` in `a/b.rs` or `a/b/mod.rs` is `a::b`, and `super` is `a`; inside an inline
        // `mod c { }` of that file, `self` is `a::b::c`.
        let at: Vec<String> = here.iter().chain(&inner).cloned().collect();
        for abs in absolute_paths(&at, &code) {
            let resolved = (1..=abs.len()).rev().map(|n| abs[..n].join("::")).find(|m| modules.contains(m));
            if let Some(to) = resolved
                && to != module
            {
                out.insert(to);
            }
        }
    }
    out
}

/// The paths in `code` (a module at `here`) that name modules of this crate, made absolute.
fn absolute_paths(here: &[String], code: &str) -> Vec<Vec<String>> {
    let mut paths: Vec<Vec<String>> = Vec::new();
    for tree in use_trees(code) {
        expand(&tree, Vec::new(), &mut paths);
    }
    let path_re = regex::Regex::new(r"(?:^|[^\w:])((?:crate|super|self)(?:::\w+)+)").unwrap();
    for c in path_re.captures_iter(code) {
        paths.push(c[1].split("::").map(String::from).collect());
    }
    let children: BTreeSet<&str> = regex::Regex::new(r"(?m)^\s*(?:pub(?:\([^)]*\))? )?mod (\w+);")
        .unwrap()
        .captures_iter(code)
        .map(|c| c.get(1).unwrap().as_str())
        .collect();
    let child_re = regex::Regex::new(r"(?:^|[^\w:])(\w+)::(\w+)").unwrap();
    for c in child_re.captures_iter(code) {
        if children.contains(&c[1]) {
            paths.push(vec!["self".into(), c[1].to_string(), c[2].to_string()]);
        }
    }
    paths
        .into_iter()
        .filter_map(|path| match path.first().map(String::as_str) {
            Some("crate") => Some(path[1..].to_vec()),
            Some("self") => Some(here.iter().chain(&path[1..]).cloned().collect()),
            Some("super") => {
                let mut base = here.to_vec();
                let mut rest = &path[..];
                while rest.first().is_some_and(|s| s == "super") {
                    base.pop();
                    rest = &rest[1..];
                }
                Some(base.into_iter().chain(rest.iter().cloned()).collect())
            }
            // A path through a child module, as `use child::Item`.
            Some(first) if children.contains(first) => Some(here.iter().chain(&path).cloned().collect()),
            _ => None,
        })
        .collect()
}

/// The code split into the file's own module and each inline `mod name { ... }` in it (at
/// any depth), each with its path below the file's module.
fn inline_modules(code: &str) -> Vec<(Vec<String>, String)> {
    let re = regex::Regex::new(r"(?m)(?:^|[\s;{}])(?:pub(?:\([^)]*\))? )?mod (\w+)\s*\{").unwrap();
    let Some(c) = re.captures(code) else { return vec![(Vec::new(), code.to_string())] };
    let name = c[1].to_string();
    let open = c.get(0).unwrap().end() - 1;
    let close = matching_brace(code, open);
    let mut out = inline_modules(&format!("{}{}", &code[..open], &code[close..]));
    for (mut path, inner) in inline_modules(&code[open + 1..close - 1]) {
        path.insert(0, name.clone());
        out.push((path, inner));
    }
    out
}

/// The end (one past the `}`) of the block whose `{` is at `open`.
fn matching_brace(code: &str, open: usize) -> usize {
    let mut depth = 0;
    for (i, ch) in code[open..].char_indices() {
        match ch {
            '{' => depth += 1,
            '}' => {
                depth -= 1;
                if depth == 0 {
                    return open + i + 1;
                }
            }
            _ => {}
        }
    }
    code.len()
}

/// The text of every `use` item: `crate::a::{b, c::D}`.
fn use_trees(code: &str) -> Vec<String> {
    let re = regex::Regex::new(r"(?:^|[\s;{}])(?:pub(?:\([^)]*\))? )?use ([^;]+);").unwrap();
    re.captures_iter(code).map(|c| c[1].split_whitespace().collect::<Vec<_>>().join(" ")).collect()
}

/// Expand a use tree into full paths (`a::{b, c::d}` -> `a::b`, `a::c::d`).
fn expand(tree: &str, prefix: Vec<String>, out: &mut Vec<Vec<String>>) {
    let tree = tree.trim();
    if let Some(open) = tree.find('{') {
        let head = tree[..open].trim_end_matches("::").trim();
        let mut base = prefix.clone();
        base.extend(head.split("::").filter(|s| !s.is_empty()).map(String::from));
        let inner = &tree[open + 1..tree.rfind('}').unwrap_or(tree.len())];
        let (mut depth, mut start) = (0, 0);
        for (i, ch) in inner.char_indices() {
            match ch {
                '{' => depth += 1,
                '}' => depth -= 1,
                ',' if depth == 0 => {
                    expand(&inner[start..i], base.clone(), out);
                    start = i + 1;
                }
                _ => {}
            }
        }
        expand(&inner[start..], base.clone(), out);
        if !base.is_empty() {
            out.push(base);
        }
        return;
    }
    let name = tree.split(" as ").next().unwrap().trim();
    if name.is_empty() {
        return;
    }
    let mut path = prefix;
    for seg in name.split("::") {
        if seg == "self" && !path.is_empty() {
            continue;
        }
        if seg != "*" {
            path.push(seg.to_string());
        }
    }
    out.push(path);
}

/// The code with comments, strings and character literals blanked out.
fn code_of(text: &str) -> String {
    let b = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < b.len() {
        let rest = &text[i..];
        if rest.starts_with("//") {
            let end = rest.find('\n').map_or(b.len(), |n| i + n);
            i = end;
        } else if rest.starts_with("/*") {
            i += rest.find("*/").map_or(rest.len(), |n| n + 2);
        } else if let Some(hashes) = raw_string_start(rest) {
            let close = format!("\"{}", "#".repeat(hashes));
            let body = 2 + hashes;
            i += body + rest[body..].find(&close).map_or(rest.len() - body, |n| n + close.len());
            out.push_str("\"\"");
        } else if rest.starts_with('"') {
            let mut j = 1;
            while j < rest.len() {
                match rest.as_bytes()[j] {
                    b'\\' => j += 2,
                    b'"' => break,
                    _ => j += 1,
                }
            }
            i += (j + 1).min(rest.len());
            out.push_str("\"\"");
        } else if let Some(n) = char_literal(rest) {
            i += n;
            out.push_str("' '");
        } else {
            let ch = rest.chars().next().unwrap();
            out.push(ch);
            i += ch.len_utf8();
        }
    }
    out
}

/// `r"`, `r#"`, `br"`...: the number of `#`s.
fn raw_string_start(s: &str) -> Option<usize> {
    let s = s.strip_prefix('b').unwrap_or(s);
    let s = s.strip_prefix('r')?;
    let hashes = s.len() - s.trim_start_matches('#').len();
    s[hashes..].starts_with('"').then_some(hashes)
}

/// The length of a character literal starting `s` (not a lifetime).
fn char_literal(s: &str) -> Option<usize> {
    let b = s.as_bytes();
    if b.first() != Some(&b'\'') {
        return None;
    }
    if b.get(1) == Some(&b'\\') {
        return s[2..].find('\'').map(|n| n + 3);
    }
    let ch = s[1..].chars().next()?;
    let after = 1 + ch.len_utf8();
    (s.as_bytes().get(after) == Some(&b'\'')).then_some(after + 1)
}

/// The code without `#[cfg(test)]` items.
fn without_tests(code: &str) -> String {
    let mut out = String::new();
    let mut rest = code;
    while let Some(at) = rest.find("#[cfg(test)]") {
        out.push_str(&rest[..at]);
        let after = &rest[at..];
        let Some(open) = after.find(['{', ';']) else { return out };
        if after.as_bytes()[open] == b';' {
            rest = &after[open + 1..];
            continue;
        }
        let end = matching_brace(after, open);
        rest = &after[end..];
    }
    out.push_str(rest);
    out
}

/// A cycle in the graph, as the modules along it, first repeated at the end.
fn find_cycle(graph: &BTreeMap<String, BTreeSet<String>>) -> Option<Vec<String>> {
    #[derive(Clone, Copy, PartialEq)]
    enum Mark {
        New,
        Open,
        Done,
    }
    fn visit(
        m: &str,
        graph: &BTreeMap<String, BTreeSet<String>>,
        marks: &mut BTreeMap<String, Mark>,
        stack: &mut Vec<String>,
    ) -> Option<Vec<String>> {
        marks.insert(m.to_string(), Mark::Open);
        stack.push(m.to_string());
        for d in graph.get(m).into_iter().flatten() {
            match marks.get(d.as_str()).copied().unwrap_or(Mark::New) {
                Mark::Open => {
                    let from = stack.iter().position(|s| s == d).unwrap();
                    let mut cycle = stack[from..].to_vec();
                    cycle.push(d.clone());
                    return Some(cycle);
                }
                Mark::New => {
                    if let Some(c) = visit(d, graph, marks, stack) {
                        return Some(c);
                    }
                }
                Mark::Done => {}
            }
        }
        stack.pop();
        marks.insert(m.to_string(), Mark::Done);
        None
    }
    let mut marks = BTreeMap::new();
    for m in graph.keys() {
        if marks.get(m.as_str()).copied().unwrap_or(Mark::New) == Mark::New
            && let Some(c) = visit(m, graph, &mut marks, &mut Vec::new())
        {
            return Some(c);
        }
    }
    None
}
