//! The import rules of ARCHITECTURE.md, checked on the source: every `crate::` and `super::`
//! path of the library's code (tests inside a file excepted) is resolved to the top-level
//! module it names, and the graph of those modules must follow the layers and hold no cycle.
//! Within a folder module the same holds for its files: siblings import one way.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// The layers, lowest first: a module may import its own layer's modules (without a cycle)
/// and those of the layers below, never those above. `config` sits above the stages, the
/// store and the loaders because it builds their parameters from the file; `deliver`
/// above it because an SMTP sender is made from its settings.
const LAYERS: &[&[&str]] = &[
    &["model"],
    &["compute"],
    &["risk", "assessment", "disclosure"],
    &["render"],
    &["mail", "chat"],
    &["store"],
    &["ingest"],
    &["config"],
    &["deliver"],
    &["pipeline"],
    &["daemon", "synth"],
    &["cli"],
];

/// The stages compute from what they are given: no configuration, store, pipeline or daemon,
/// and no file or database I/O.
const STAGES: &[&str] = &["compute", "risk", "assessment", "disclosure", "render", "mail", "chat"];
const STAGES_NEVER: &[&str] = &["config", "store", "ingest", "deliver", "pipeline", "daemon", "synth", "cli"];

/// The doors and the data makers: only the CLI imports them.
const ONLY_CLI: &[&str] = &["daemon", "synth"];

/// What in a module's code is I/O: the stages and the model hold none of it.
const IO: &[&str] = &["std::fs", "fs::", "File::", "rusqlite", "tokio::fs", "std::net", "std::process"];

/// A source file: its module path (`["store", "outbox"]`) and its code without comments,
/// string literals or `#[cfg(test)]` modules.
struct Source {
    module: Vec<String>,
    is_dir_module: bool,
    code: String,
}

fn sources(root: &Path) -> Vec<Source> {
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
    let mut files = Vec::new();
    walk(root, &mut files);
    files.sort();
    files
        .into_iter()
        .map(|p| {
            let rel = p.strip_prefix(root).unwrap().with_extension("");
            let mut module: Vec<String> = rel.iter().map(|s| s.to_string_lossy().into_owned()).collect();
            let last = module.last().cloned().unwrap();
            let is_dir_module = matches!(last.as_str(), "mod" | "lib" | "main");
            if is_dir_module {
                module.pop();
            }
            let text = std::fs::read_to_string(&p).unwrap();
            Source {
                module,
                is_dir_module,
                code: without_tests(&strip(&text)),
            }
        })
        .collect()
}

/// The code with comments removed and string and char literals emptied.
fn strip(text: &str) -> String {
    let c: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    let get = |k: usize| c.get(k).copied().unwrap_or('\0');
    while i < c.len() {
        let at = |k: usize| get(i + k);
        if at(0) == '/' && at(1) == '/' {
            while i < c.len() && c[i] != '\n' {
                i += 1;
            }
        } else if at(0) == '/' && at(1) == '*' {
            let mut depth = 0;
            while i < c.len() {
                if c[i] == '/' && get(i + 1) == '*' {
                    depth += 1;
                    i += 2;
                } else if c[i] == '*' && get(i + 1) == '/' {
                    depth -= 1;
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    i += 1;
                }
            }
        } else if at(0) == 'r'
            && (at(1) == '#' || at(1) == '"')
            && !c.get(i.wrapping_sub(1)).is_some_and(|p| p.is_alphanumeric() || *p == '_')
        {
            // a raw string r#"…"#
            let mut j = i + 1;
            let mut hashes = 0;
            while c.get(j) == Some(&'#') {
                hashes += 1;
                j += 1;
            }
            if c.get(j) != Some(&'"') {
                out.push(c[i]);
                i += 1;
                continue;
            }
            j += 1;
            loop {
                if j >= c.len() {
                    break;
                }
                if c[j] == '"' && (0..hashes).all(|h| c.get(j + 1 + h) == Some(&'#')) {
                    j += 1 + hashes;
                    break;
                }
                j += 1;
            }
            out.push_str("\"\"");
            i = j;
        } else if at(0) == '"' {
            i += 1;
            while i < c.len() && c[i] != '"' {
                if c[i] == '\\' {
                    i += 1;
                }
                i += 1;
            }
            i += 1;
            out.push_str("\"\"");
        } else if at(0) == '\'' && (at(2) == '\'' || at(1) == '\\') {
            // a char literal (a lifetime has no closing quote two on)
            i += 1;
            while i < c.len() && c[i] != '\'' {
                if c[i] == '\\' {
                    i += 1;
                }
                i += 1;
            }
            i += 1;
            out.push_str("' '");
        } else {
            out.push(c[i]);
            i += 1;
        }
    }
    out
}

/// The code without its `#[cfg(test)] mod … { … }` blocks: tests may import what they need.
fn without_tests(code: &str) -> String {
    let mut out = String::new();
    let mut rest = code;
    while let Some(at) = rest.find("#[cfg(test)]") {
        out.push_str(&rest[..at]);
        let after = &rest[at + "#[cfg(test)]".len()..];
        let trimmed = after.trim_start();
        if trimmed.starts_with("mod ") && trimmed.find('{').is_some_and(|b| trimmed.find(';').is_none_or(|s| b < s)) {
            let open = after.find('{').unwrap();
            let mut depth = 0;
            let mut end = after.len();
            for (k, ch) in after[open..].char_indices() {
                match ch {
                    '{' => depth += 1,
                    '}' => {
                        depth -= 1;
                        if depth == 0 {
                            end = open + k + 1;
                            break;
                        }
                    }
                    _ => {}
                }
            }
            rest = &after[end..];
        } else {
            rest = after;
        }
    }
    out.push_str(rest);
    out
}

/// Every path of a `use` tree: `a::{b, c::{d, e}}` → `a::b`, `a::c::d`, `a::c::e`.
fn expand(tree: &str) -> Vec<String> {
    let tree: String = tree.split_whitespace().collect();
    let Some(open) = tree.find('{') else { return vec![tree] };
    let prefix = &tree[..open];
    let inner = &tree[open + 1..tree.rfind('}').unwrap_or(tree.len())];
    let mut parts = Vec::new();
    let (mut depth, mut start) = (0, 0);
    for (k, ch) in inner.char_indices() {
        match ch {
            '{' => depth += 1,
            '}' => depth -= 1,
            ',' if depth == 0 => {
                parts.push(&inner[start..k]);
                start = k + 1;
            }
            _ => {}
        }
    }
    parts.push(&inner[start..]);
    parts
        .into_iter()
        .filter(|p| !p.is_empty())
        .flat_map(expand)
        .map(|p| format!("{prefix}{p}"))
        .collect()
}

/// The modules of the crate a file's code names (as paths from the crate root).
fn imports(src: &Source) -> BTreeSet<Vec<String>> {
    let mut paths = Vec::new();
    let code = &src.code;
    let mut rest = code.as_str();
    while let Some(at) = find_word(rest, "use") {
        let after = &rest[at + 3..];
        let end = after.find(';').unwrap_or(after.len());
        paths.extend(expand(&after[..end]));
        rest = &after[end..];
    }
    for prefix in ["crate::", "super::"] {
        let mut rest = code.as_str();
        while let Some(at) = rest.find(prefix) {
            let before = rest[..at].chars().last();
            let path: String = rest[at..]
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_' || *c == ':')
                .collect();
            if !before.is_some_and(|b| b.is_alphanumeric() || b == '_' || b == ':') {
                paths.push(path.trim_end_matches(':').to_string());
            }
            rest = &rest[at + prefix.len()..];
        }
    }
    // `super` of a file `a/b.rs` (module a::b) is `a`; of `a/mod.rs` (module a) the crate.
    let here = &src.module;
    paths
        .into_iter()
        .filter_map(|p| {
            let segs: Vec<&str> = p.split("::").filter(|s| !s.is_empty()).collect();
            let mut resolved: Vec<String> = match segs.first() {
                Some(&"crate") => vec![],
                Some(&"super") | Some(&"self") => here.clone(),
                _ => return None,
            };
            for s in segs.iter().skip(usize::from(segs[0] == "crate")) {
                match *s {
                    "super" => {
                        resolved.pop();
                    }
                    "self" => {}
                    _ => resolved.push((*s).to_string()),
                }
            }
            (!resolved.is_empty()).then_some(resolved)
        })
        .collect()
}

fn find_word(hay: &str, word: &str) -> Option<usize> {
    let mut from = 0;
    while let Some(k) = hay[from..].find(word) {
        let at = from + k;
        let before = hay[..at].chars().last();
        let after = hay[at + word.len()..].chars().next();
        if !before.is_some_and(|b| b.is_alphanumeric() || b == '_') && after.is_some_and(char::is_whitespace) {
            return Some(at);
        }
        from = at + word.len();
    }
    None
}

/// The module graph at one level: under `parent` (empty for the crate), which child imports
/// which sibling.
fn graph(sources: &[Source], parent: &[String]) -> BTreeMap<String, BTreeSet<String>> {
    let mut g: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for src in sources {
        if src.module.len() <= parent.len() || !src.module.starts_with(parent) {
            continue;
        }
        let me = src.module[parent.len()].clone();
        let entry = g.entry(me.clone()).or_default();
        for path in imports(src) {
            if path.len() > parent.len() && path.starts_with(parent) && path[parent.len()] != me {
                entry.insert(path[parent.len()].clone());
            }
        }
    }
    let known: BTreeSet<String> = g.keys().cloned().collect();
    for targets in g.values_mut() {
        targets.retain(|t| known.contains(t));
    }
    g
}

/// The cycles of a graph: each strongly connected component of more than one node.
fn cycles(g: &BTreeMap<String, BTreeSet<String>>) -> Vec<Vec<String>> {
    let reach = |from: &str| {
        let mut seen = BTreeSet::new();
        let mut stack = vec![from.to_string()];
        while let Some(n) = stack.pop() {
            for m in g.get(&n).into_iter().flatten() {
                if seen.insert(m.clone()) {
                    stack.push(m.clone());
                }
            }
        }
        seen
    };
    let reaches: BTreeMap<&String, BTreeSet<String>> = g.keys().map(|k| (k, reach(k))).collect();
    let mut done = BTreeSet::new();
    let mut out = Vec::new();
    for k in g.keys() {
        if done.contains(k) || !reaches[k].contains(k) {
            continue;
        }
        let scc: Vec<String> = g
            .keys()
            .filter(|m| reaches[k].contains(*m) && reaches[*m].contains(k))
            .cloned()
            .collect();
        done.extend(scc.iter().cloned());
        out.push(scc);
    }
    out
}

/// What breaks the rules in the tree at `root`: one line per forbidden import or cycle.
fn violations(root: &Path) -> Vec<String> {
    let sources = sources(root);
    let mut problems = Vec::new();
    let top = graph(&sources, &[]);
    let layer_of = |m: &str| LAYERS.iter().position(|l| l.contains(&m));
    for (module, targets) in &top {
        if matches!(module.as_str(), "lib" | "main") {
            continue;
        }
        let Some(mine) = layer_of(module) else {
            problems.push(format!("`{module}` is in no layer of ARCHITECTURE.md"));
            continue;
        };
        for t in targets {
            match layer_of(t) {
                Some(theirs) if theirs > mine => problems.push(format!("`{module}` imports `{t}`, a layer above it")),
                _ => {}
            }
            if ONLY_CLI.contains(&t.as_str()) && module != "cli" {
                problems.push(format!("`{module}` imports `{t}`, which only the CLI may"));
            }
            if STAGES.contains(&module.as_str()) && STAGES_NEVER.contains(&t.as_str()) {
                problems.push(format!("the stage `{module}` imports `{t}`"));
            }
        }
    }
    for scc in cycles(&top) {
        problems.push(format!("an import cycle: {}", scc.join(" ↔ ")));
    }
    // within each folder module, its files
    let folders: BTreeSet<Vec<String>> = sources
        .iter()
        .filter(|s| s.is_dir_module && !s.module.is_empty())
        .map(|s| s.module.clone())
        .collect();
    for folder in folders {
        for scc in cycles(&graph(&sources, &folder)) {
            problems.push(format!("an import cycle in {}: {}", folder.join("::"), scc.join(" ↔ ")));
        }
    }
    for src in &sources {
        let Some(top) = src.module.first() else { continue };
        if top == "model" || STAGES.contains(&top.as_str()) {
            for io in IO {
                if find_path(&src.code, io) {
                    problems.push(format!("`{}` does I/O (`{io}`)", src.module.join("::")));
                }
            }
        }
    }
    problems
}

fn find_path(code: &str, needle: &str) -> bool {
    code.match_indices(needle)
        .any(|(at, _)| !code[..at].chars().last().is_some_and(|b| b.is_alphanumeric() || b == '_'))
}

fn src_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

#[test]
fn the_crate_follows_its_import_rules() {
    let problems = violations(&src_dir());
    assert!(problems.is_empty(), "ARCHITECTURE.md's rules broken:\n  {}", problems.join("\n  "));
}

/// The checker itself: a copy of the source with one forbidden import added must fail, in
/// each of the ways the rules name.
#[test]
fn the_import_check_finds_a_forbidden_import() {
    fn copy(from: &Path, to: &Path) {
        std::fs::create_dir_all(to).unwrap();
        for e in std::fs::read_dir(from).unwrap() {
            let p = e.unwrap().path();
            let t = to.join(p.file_name().unwrap());
            if p.is_dir() {
                copy(&p, &t);
            } else {
                std::fs::copy(&p, &t).unwrap();
            }
        }
    }
    let cases = [
        (
            "model/period.rs",
            "use crate::store::Store;\n",
            "`model` imports `store`, a layer above it",
        ),
        (
            "compute/mod.rs",
            "fn f() { let _ = crate::config::Settings::default; }\n",
            "the stage `compute` imports `config`",
        ),
        (
            "store/mod.rs",
            "use crate::pipeline::RunOptions;\n",
            "`store` imports `pipeline`, a layer above it",
        ),
        (
            "daemon/serve.rs",
            "use crate::synth::demo::Shape;\n",
            "`daemon` imports `synth`, which only the CLI may",
        ),
        (
            "render/mod.rs",
            "fn g() { let _ = std::fs::read(\"x\"); }\n",
            "`render` does I/O (`std::fs`)",
        ),
        ("model/period.rs", "use super::units::Unit;\n", "an import cycle in model: "),
    ];
    for (file, line, expected) in cases {
        let tmp = tempfile::tempdir().unwrap();
        copy(&src_dir(), tmp.path());
        let path = tmp.path().join(file);
        let text = std::fs::read_to_string(&path).unwrap();
        std::fs::write(&path, format!("{line}{text}")).unwrap();
        if expected.starts_with("an import cycle in model") {
            // close the cycle: units already imports nothing of period, so make it
            let units = tmp.path().join("model/units.rs");
            let t = std::fs::read_to_string(&units).unwrap();
            std::fs::write(&units, format!("use super::period::Period;\n{t}")).unwrap();
        }
        let problems = violations(tmp.path());
        assert!(
            problems.iter().any(|p| p.contains(expected)),
            "{file} + {line:?}: expected {expected:?}, got {problems:#?}"
        );
    }
}
