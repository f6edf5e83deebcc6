//! The hostile corpus (`tests/hostile/`, one file a case, its first line `// expect: refused`
//! or `// expect: accepted`) and the hostile-string property run.
//!
//! - A refused `.proto` case exits 2 from the CLI with a diagnostic at its file:line:col,
//!   changes nothing on disk, and the build-script API (`Config::generate`) refuses it with the
//!   same messages; the diagnostics are snapshotted (`hostile__<case>`).
//! - An accepted `.proto` case carries one hostile string after `/*hostile*/`: everything it
//!   generates parses to the same documents, keys, instructions and tokens as its plain twin
//!   (the string replaced by "plain"); the lines that differ are snapshotted.
//! - A `.rs` case is a trait: the build-script API (`Config::generate_rust_sources`) and the
//!   macro's expansion (`kuberpc_codegen::expand`, all the macro does) both refuse it with the
//!   same messages, the expansion as `compile_error!`s.
//! - The property run puts generated hostile strings into every string option and into the
//!   file name: each is refused at a place, or changes no shape. `KUBERPC_FUZZ_SECONDS` runs it
//!   for that long instead of its bounded default; `KUBERPC_FUZZ_SEED` replays a seed.

mod common;

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use common::hostile::{case_and_plain_twin, shape, Rng, SLOTS};
use kuberpc_codegen::{Config, Destination, Error};

fn corpus() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/hostile")
}

fn cases(extension: &str) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(corpus())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter_map(|name| name.strip_suffix(&format!(".{extension}")).map(str::to_string))
        .collect();
    names.sort();
    names
}

fn expectation(text: &str) -> &str {
    text.lines().next().and_then(|line| line.strip_prefix("// expect: ")).expect("a first line `// expect: …`")
}

/// Runs `kuberpc generate <proto> -I . --out deploy --rust-out stubs` in `dir`.
fn cli(dir: &Path, proto: &str) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_kuberpc"))
        .args(["generate", proto, "-I", ".", "--out", "deploy", "--rust-out", "stubs"])
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .output()
        .unwrap()
}

/// The build-script API on `proto` in `dir` (in memory: a refused run writes nothing).
fn build_api(dir: &Path, proto: &str) -> Result<kuberpc_codegen::Generated, Error> {
    let mut config = Config::new();
    config.manifests_dir(dir.join("deploy"));
    config.generate(&[dir.join(proto)], &[dir])
}

fn messages(error: &Error) -> Vec<String> {
    error.problems().iter().map(|p| p.message().to_string()).collect()
}

/// `name.proto:12:5` in the text.
fn located(text: &str, file: &str) -> bool {
    text.split(|c: char| c.is_whitespace() || c == '[' || c == ']').any(|word| {
        let mut parts = word.trim_end_matches(':').rsplitn(3, ':');
        let (column, line, name) = (parts.next(), parts.next(), parts.next());
        let number = |s: Option<&str>| s.is_some_and(|s| !s.is_empty() && s.chars().all(|c| c.is_ascii_digit()));
        number(column) && number(line) && name.is_some_and(|n| n.ends_with(file))
    })
}

#[test]
fn refused_proto_cases_are_refused_alike_by_the_cli_and_the_build_api_at_their_place() {
    let names: Vec<String> =
        cases("proto").into_iter().filter(|n| expectation(&read_case(n, "proto")) == "refused").collect();
    assert!(names.len() >= 60, "the corpus has {} refused proto cases", names.len());
    let mut snapshots = Vec::new();
    for name in &names {
        let dir = tempfile::tempdir().unwrap();
        let file = format!("{name}.proto");
        fs::copy(corpus().join(&file), dir.path().join(&file)).unwrap();
        let before = common::tree(dir.path());
        let output = cli(dir.path(), &file);
        let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
        assert_eq!(output.status.code(), Some(2), "{name}: exit code {:?}\n{stderr}", output.status.code());
        assert!(!stderr.contains("panicked"), "{name} panicked:\n{stderr}");
        assert!(located(&stderr, &file), "{name}: no {file}:line:col in\n{stderr}");
        assert_eq!(common::tree(dir.path()), before, "{name} changed the tree");
        let error = build_api(dir.path(), &file).err().unwrap_or_else(|| panic!("{name}: the build API accepted it"));
        // miette wraps long messages: compared without white space and its margin.
        let squeezed = |text: &str| text.chars().filter(|c| !c.is_whitespace() && *c != '│').collect::<String>();
        for message in messages(&error) {
            let said = squeezed(&stderr).contains(&squeezed(&message));
            assert!(said, "{name}: the CLI did not say {message:?}:\n{stderr}");
        }
        snapshots.push((format!("hostile__{name}"), stderr));
    }
    common::assert_snapshots(snapshots);
}

#[test]
fn accepted_proto_cases_change_no_shape_of_any_output() {
    let names: Vec<String> =
        cases("proto").into_iter().filter(|n| expectation(&read_case(n, "proto")) == "accepted").collect();
    assert!(!names.is_empty());
    let mut snapshots = Vec::new();
    for name in &names {
        let text = read_case(name, "proto");
        let plain = plain_twin(&text);
        assert_ne!(plain, text, "{name}: no /*hostile*/ string");
        let outputs = [&text, &plain].map(|text| {
            let dir = tempfile::tempdir().unwrap();
            fs::write(dir.path().join("shop.proto"), text).unwrap();
            let output = cli(dir.path(), "shop.proto");
            let stderr = String::from_utf8_lossy(&output.stderr);
            assert_eq!(output.status.code(), Some(0), "{name}: refused\n{stderr}");
            common::tree(dir.path())
        });
        let [hostile, plain] = outputs;
        assert_same_tree_shapes(name, &hostile, &plain);
        snapshots.push((format!("hostile__{name}"), changed_lines(&hostile, &plain)));
    }
    common::assert_snapshots(snapshots);
}

#[test]
fn refused_trait_cases_are_refused_alike_by_the_build_api_and_the_macro() {
    let names = cases("rs");
    assert!(names.len() >= 10, "the corpus has {} trait cases", names.len());
    let mut snapshots = Vec::new();
    for name in &names {
        let text = read_case(name, "rs");
        assert_eq!(expectation(&text), "refused", "{name}");
        let error = Config::new()
            .generate_rust_sources(&[(&format!("{name}.rs"), &text)])
            .err()
            .unwrap_or_else(|| panic!("{name}: the build API accepted it"));
        let located_messages: Vec<String> = error
            .problems()
            .iter()
            .map(|p| {
                let (line, column) = p.span().map(|s| s.line_column()).unwrap_or_default();
                assert!(line > 0, "{name}: {:?} has no place", p.message());
                format!("{name}.rs:{line}:{column}: {}", p.message())
            })
            .collect();
        let expansion = macro_expansion(&text);
        for message in messages(&error) {
            let literal = format!("{message:?}");
            assert!(expansion.contains(&literal), "{name}: the macro did not say {literal}:\n{expansion}");
        }
        snapshots.push((format!("hostile__{name}"), located_messages.join("\n")));
    }
    common::assert_snapshots(snapshots);
}

#[test]
fn no_unreferenced_hostile_snapshots() {
    let names = cases("proto").into_iter().chain(cases("rs")).map(|name| format!("hostile__{name}"));
    common::assert_no_unreferenced_snapshots(&["hostile__"], names);
}

fn read_case(name: &str, extension: &str) -> String {
    fs::read_to_string(corpus().join(format!("{name}.{extension}"))).unwrap()
}

/// `text` with the string literal after `/*hostile*/` replaced by `"plain"`.
fn plain_twin(text: &str) -> String {
    let Some((before, after)) = text.split_once("/*hostile*/ \"") else { return text.to_string() };
    let mut escaped = false;
    let end = after
        .char_indices()
        .find(|&(_, c)| {
            let closes = c == '"' && !escaped;
            escaped = c == '\\' && !escaped;
            closes
        })
        .map(|(index, _)| index)
        .expect("a closed literal");
    // A path stays a path.
    let plain = if after.starts_with('/') { "\"/plain\"" } else { "\"plain\"" };
    format!("{before}{plain}{}", &after[end + 1..])
}

/// What `#[kuberpc::rpc_service(…)]` expands the case's trait to, as text.
fn macro_expansion(text: &str) -> String {
    let file = syn::parse_file(text).unwrap();
    let mut item = file
        .items
        .into_iter()
        .find_map(|item| match item {
            syn::Item::Trait(item) => Some(item),
            _ => None,
        })
        .unwrap();
    let position = item.attrs.iter().position(|a| a.path().segments.last().unwrap().ident == "rpc_service").unwrap();
    let attribute = item.attrs.remove(position);
    let arguments = attribute.meta.require_list().unwrap().tokens.clone();
    kuberpc_codegen::expand(arguments, quote::quote!(#item), &quote::quote!(::kuberpc)).to_string()
}

fn shapes(tree: &BTreeMap<PathBuf, Vec<u8>>) -> BTreeMap<PathBuf, String> {
    tree.iter().map(|(path, content)| (path.clone(), shape(path, content, &[]))).collect()
}

fn assert_same_tree_shapes(name: &str, hostile: &BTreeMap<PathBuf, Vec<u8>>, plain: &BTreeMap<PathBuf, Vec<u8>>) {
    common::hostile::assert_same_shapes(name, &shapes(hostile), &shapes(plain));
}

/// The lines of `hostile`'s files that differ from `plain`'s, by file.
fn changed_lines(hostile: &BTreeMap<PathBuf, Vec<u8>>, plain: &BTreeMap<PathBuf, Vec<u8>>) -> String {
    let mut out = String::new();
    for (path, content) in hostile {
        let theirs = String::from_utf8_lossy(&plain[path]).into_owned();
        let ours = String::from_utf8_lossy(content).into_owned();
        let changed: Vec<&str> = ours.lines().filter(|line| !theirs.lines().any(|t| t == *line)).collect();
        if !changed.is_empty() && !path.starts_with("stubs") {
            out.push_str(&format!("{}:\n", path.display()));
            changed.iter().for_each(|line| out.push_str(&format!("  {line}\n")));
        }
    }
    out
}

/// The file-system cases: links out of the tree, another project's app, hostile file names.
mod file_system {
    use super::*;

    const SHOP: &str = "shop.proto";

    fn shop(dir: &Path, package: &str, app: &str) {
        let text = fs::read_to_string(corpus().join("env_value_tab_and_unicode.proto")).unwrap();
        let text = plain_twin(&text).replace("package shop.v1;", &format!("package {package};"));
        let text = text.replace("env { key", &format!("name: \"{app}\"\n    env {{ key"));
        fs::write(dir.join(SHOP), text).unwrap();
    }

    fn refused(dir: &Path, proto: &str, expected: &str) {
        let outside = common::tree(dir);
        let output = cli(dir, proto);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{stderr}");
        assert!(stderr.contains(expected), "expected {expected:?} in\n{stderr}");
        assert_eq!(common::tree(dir), outside, "a refused run changed the tree");
    }

    #[test]
    fn nothing_is_written_or_removed_through_a_link() {
        for linked in ["deploy/shop", "deploy/shop/base"] {
            let dir = tempfile::tempdir().unwrap();
            let elsewhere = tempfile::tempdir().unwrap();
            shop(dir.path(), "shop.v1", "shop");
            assert!(cli(dir.path(), SHOP).status.success());
            let target = elsewhere.path().join("target");
            fs::rename(dir.path().join(linked), &target).unwrap();
            std::os::unix::fs::symlink(&target, dir.path().join(linked)).unwrap();
            let before = common::tree(elsewhere.path());
            refused(dir.path(), SHOP, "is a symbolic link");
            assert_eq!(common::tree(elsewhere.path()), before, "{linked}: written through the link");
        }
    }

    #[test]
    fn a_leftover_behind_a_link_is_not_removed() {
        let dir = tempfile::tempdir().unwrap();
        let elsewhere = tempfile::tempdir().unwrap();
        shop(dir.path(), "shop.v1", "shop");
        assert!(cli(dir.path(), SHOP).status.success());
        // Another app's base, linked in from outside, holding a file "of" this source.
        let old = fs::read(dir.path().join("deploy/shop/base/service.yaml")).unwrap();
        fs::create_dir_all(elsewhere.path().join("base")).unwrap();
        fs::write(elsewhere.path().join("base/precious.yaml"), &old).unwrap();
        std::os::unix::fs::symlink(elsewhere.path(), dir.path().join("deploy/linked")).unwrap();
        assert!(cli(dir.path(), SHOP).status.success());
        assert!(elsewhere.path().join("base/precious.yaml").exists(), "removed through a link");
    }

    #[test]
    fn another_projects_app_of_the_same_name_is_not_taken_over_or_removed() {
        let dir = tempfile::tempdir().unwrap();
        let (theirs, ours) = (dir.path().join("theirs"), dir.path().join("ours"));
        fs::create_dir_all(&theirs).unwrap();
        fs::create_dir_all(&ours).unwrap();
        shop(&theirs, "theirs.v1", "shop");
        shop(&ours, "ours.v1", "shop");
        let out = dir.path().join("deploy");
        let run = |project: &Path| {
            Command::new(env!("CARGO_BIN_EXE_kuberpc"))
                .args(["generate", SHOP, "-I", ".", "--out"])
                .arg(&out)
                .args(["--rust-out", "stubs"])
                .current_dir(project)
                .env("NO_COLOR", "1")
                .output()
                .unwrap()
        };
        assert!(run(&theirs).status.success());
        let before = common::tree(&out);
        let output = run(&ours);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{stderr}");
        assert!(stderr.contains("refusing to take it over"), "{stderr}");
        assert_eq!(common::tree(&out), before);

        // Same file name, other package, other app: neither run removes the other's files.
        shop(&ours, "ours.v1", "mine");
        assert!(run(&ours).status.success());
        assert!(run(&theirs).status.success());
        assert!(run(&ours).status.success());
        assert!(out.join("shop/base/service.yaml").exists() && out.join("mine/base/service.yaml").exists());
    }

    /// A source named with parentheses: its header still names it, so a file the source no
    /// longer produces is removed (the header's source was cut at the first " (" before).
    #[test]
    fn a_file_the_source_no_longer_produces_goes_whatever_the_source_is_called() {
        let dir = tempfile::tempdir().unwrap();
        let name = "a (b).proto";
        shop(dir.path(), "shop.v1", "shop");
        let plain = fs::read_to_string(dir.path().join(SHOP)).unwrap();
        let with_ingress =
            plain.replace("name: \"shop\"", "name: \"shop\"\n    ingress { host: \"shop.example.com\" }");
        fs::write(dir.path().join(name), with_ingress).unwrap();
        assert!(cli(dir.path(), name).status.success());
        assert!(dir.path().join("deploy/shop/base/ingress.yaml").exists());
        fs::write(dir.path().join(name), plain).unwrap();
        assert!(cli(dir.path(), name).status.success());
        assert!(!dir.path().join("deploy/shop/base/ingress.yaml").exists(), "the stale ingress stayed");
    }

    /// After an interrupted run (some files new, some old), `check` names the app to fix.
    #[test]
    fn check_names_the_app_whose_files_are_half_old() {
        let dir = tempfile::tempdir().unwrap();
        shop(dir.path(), "shop.v1", "shop");
        assert!(cli(dir.path(), SHOP).status.success());
        let service = dir.path().join("deploy/shop/base/service.yaml");
        let old = fs::read_to_string(&service).unwrap().replace("port: 50051", "port: 50052");
        fs::write(&service, old).unwrap();
        let output = Command::new(env!("CARGO_BIN_EXE_kuberpc"))
            .args(["check", SHOP, "-I", ".", "--out", "deploy", "--rust-out", "stubs"])
            .current_dir(dir.path())
            .env("NO_COLOR", "1")
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(1), "{stderr}");
        assert!(stderr.contains("in app(s) shop (1)"), "{stderr}");
    }

    /// A file named with line breaks and a kustomize `images:` entry, a document marker and a
    /// Dockerfile instruction: every header stays one line, every output keeps its shape.
    #[test]
    fn a_hostile_file_name_changes_no_shape() {
        let name = "x.proto\nimages:\n- name: shop\n  newName: evil\n---\nARG X=1\r\u{2028}y.proto";
        let plain = tempfile::tempdir().unwrap();
        let hostile = tempfile::tempdir().unwrap();
        shop(plain.path(), "shop.v1", "shop");
        fs::copy(plain.path().join(SHOP), hostile.path().join(name)).unwrap();
        assert!(cli(plain.path(), SHOP).status.success());
        let output = cli(hostile.path(), name);
        assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
        fs::remove_file(hostile.path().join(name)).unwrap();
        fs::remove_file(plain.path().join(SHOP)).unwrap();
        assert_same_tree_shapes("file name", &common::tree(hostile.path()), &common::tree(plain.path()));
    }
}

/// The property run: see the module docs.
mod property {
    use super::*;

    /// Every output of a run in memory, by destination and path, as shapes.
    fn generated_shapes(dir: &Path, file: &str, keys: &[&str]) -> Result<BTreeMap<PathBuf, String>, Error> {
        let generated = build_api(dir, file)?;
        let mut shapes = BTreeMap::new();
        for destination in Destination::ALL {
            for output in generated.files(destination) {
                let path = PathBuf::from(format!("{destination:?}")).join(&output.path);
                shapes.insert(path, shape(&output.path, &output.content, keys));
            }
        }
        Ok(shapes)
    }

    /// One case: `value` in `slot` (or, with no slot, as the file name). Returns whether it
    /// was accepted.
    fn one(dir: &Path, slot: Option<&(&str, &str)>, value: &str) -> bool {
        let ((file, text), (plain_file, plain_text)) = case_and_plain_twin(slot, value);
        let _ = fs::remove_dir_all(dir);
        fs::create_dir_all(dir).unwrap();
        fs::write(dir.join(&plain_file), plain_text).unwrap();
        let keys = match slot {
            Some((name, _)) => vec![value, common::hostile::plain_value(name)],
            None => Vec::new(),
        };
        let plain = generated_shapes(dir, &plain_file, &keys).unwrap_or_else(|e| panic!("plain twin refused: {e:?}"));
        fs::remove_file(dir.join(&plain_file)).unwrap();
        fs::write(dir.join(&file), text).unwrap();
        match generated_shapes(dir, &file, &keys) {
            Ok(hostile) => {
                common::hostile::assert_same_shapes(&format!("{slot:?} = {value:?}"), &hostile, &plain);
                true
            }
            // A file name the parser cannot take is refused as a whole (no option to point at).
            Err(_) if slot.is_none() => false,
            Err(error) => {
                for problem in error.problems() {
                    assert!(problem.span().is_some(), "{slot:?} = {value:?}: {:?} has no place", problem.message());
                }
                false
            }
        }
    }

    #[test]
    fn hostile_strings_in_every_string_option_and_the_file_name_are_refused_at_their_place_or_change_no_shape() {
        let seconds: u64 = std::env::var("KUBERPC_FUZZ_SECONDS").ok().and_then(|s| s.parse().ok()).unwrap_or(0);
        let seed: u64 = std::env::var("KUBERPC_FUZZ_SEED").ok().and_then(|s| s.parse().ok()).unwrap_or(0x6b75_6265);
        let mut rng = Rng(seed | 1);
        let scratch = tempfile::tempdir().unwrap();
        let dir = scratch.path().join("case");
        let started = std::time::Instant::now();
        let (mut runs, mut accepted) = (0u64, 0u64);
        // Bounded by count by default; by time when asked (`KUBERPC_FUZZ_SECONDS=600`).
        while if seconds > 0 { started.elapsed().as_secs() < seconds } else { runs < 2 * SLOTS.len() as u64 + 40 } {
            let slot_index = rng.below(SLOTS.len() + 1);
            let value = rng.hostile();
            let slot = SLOTS.get(slot_index);
            // The first rounds visit every slot (and the file name) in turn.
            let slot = if runs <= SLOTS.len() as u64 { SLOTS.get(runs as usize) } else { slot };
            accepted += u64::from(one(&dir, slot, &value));
            runs += 1;
        }
        println!("hostile strings: {runs} runs, {accepted} accepted, seed {seed}, {:?}", started.elapsed());
        assert!(runs > SLOTS.len() as u64);
    }

    /// The slots cover every string option of options.proto (a new one must be added here).
    #[test]
    fn the_slots_cover_every_string_option() {
        let proto = common::repo_root().join("proto/kuberpc/v1/options.proto");
        let text = fs::read_to_string(proto).unwrap();
        let mut files = protox::Compiler::new([common::repo_root().join("proto")]).unwrap();
        files.open_file("kuberpc/v1/options.proto").unwrap();
        let pool = files.descriptor_pool();
        let service = pool.get_message_by_name("kuberpc.v1.ServiceDeployment").expect("ServiceDeployment");
        let mut strings = Vec::new();
        collect(&service, "", &mut strings);
        let covered: Vec<&str> = SLOTS.iter().map(|(name, _)| *name).collect();
        let missing: Vec<&String> = strings.iter().filter(|s| !covered.contains(&s.as_str())).collect();
        assert!(
            missing.is_empty(),
            "string options without a slot: {missing:?}\n({} bytes of options.proto)",
            text.len()
        );
    }

    fn collect(message: &prost_reflect::MessageDescriptor, prefix: &str, out: &mut Vec<String>) {
        use prost_reflect::Kind;
        for field in message.fields() {
            let name = format!("{prefix}{}", field.name());
            match field.kind() {
                Kind::String => out.push(name),
                Kind::Message(inner) if field.is_map() => {
                    let value = inner.map_entry_value_field();
                    out.push(format!("{name}.key"));
                    if matches!(value.kind(), Kind::String) {
                        out.push(format!("{name}.value"));
                    }
                }
                Kind::Message(inner) => collect(&inner, &format!("{name}."), out),
                _ => {}
            }
        }
    }
}
